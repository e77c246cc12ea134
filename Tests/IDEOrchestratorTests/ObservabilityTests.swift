import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Metrics, request ids and log lines through the real router, over an in-memory store and fakes.
@Suite struct ObservabilityTests {
    /// Log lines captured from a handler writing JSON.
    final class CapturedLines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var objects: [[String: Any]] { all.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } }
    }

    struct Harness {
        let orchestrator: Orchestrator
        let store: AppDatabase
        let lines: CapturedLines

        init(_ environment: [String: String] = [:], agent: any AgentClient = FakeAgent()) throws {
            store = try AppDatabase.inMemory()
            let lines = CapturedLines()
            self.lines = lines
            var logger = Logger(label: "ide-orchestrator") { label in
                OrchestratorLogHandler(label: label, format: .json, metadataProvider: .requestID) { lines.append($0) }
            }
            logger.logLevel = .debug
            orchestrator = Orchestrator.make(settings: try testSettings(environment), store: store, engine: FakeDockerEngine(), agent: agent,
                                             resources: FixedResourceGate.allowing, bucketChecker: nil, logger: logger)
        }

        func test<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
            try await Application(router: buildRouter(orchestrator)).test(.router, body)
        }

        @discardableResult
        func insertReadyPoolContainer() async throws -> ContainerRecord {
            try await orchestrator.insertReadyPoolContainer()
        }
    }

    static let key: HTTPFields = [.authorization: "Bearer key-one"]

    static func start(_ client: any TestClientProtocol, bucket: String, requestID: String? = nil) async throws -> TestResponse {
        var headers = key
        if let requestID { headers[.requestID] = requestID }
        return try await client.execute(uri: "/api/containers/start", method: .post, headers: headers,
                                        body: ByteBuffer(string: #"{"s3Bucket":"\#(bucket)","awsAccessKeyId":"AKIAUNITTEST","awsSecretAccessKey":"unit-secret-value-42"}"#))
    }

    static func scrape(_ client: any TestClientProtocol, headers: HTTPFields = key) async throws -> (status: HTTPResponse.Status, samples: [Sample]) {
        let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
        return (response.status, Sample.parse(String(decoding: Data(response.body.readableBytesView), as: UTF8.self)))
    }

    // MARK: - /metrics

    @Test func metricsNeedTheKeyUnlessPublic() async throws {
        try await Harness().test { client in
            #expect(try await Self.scrape(client, headers: [:]).status == .unauthorized)
            let response = try await client.execute(uri: "/metrics", method: .get, headers: Self.key)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        }
        try await Harness(["METRICS_PUBLIC": "true"]).test { client in
            let scraped = try await Self.scrape(client, headers: [:])
            #expect(scraped.status == .ok)
            #expect(Sample.value(scraped.samples, "ide_orchestrator_pool_target_containers") == 0)
        }
    }

    @Test func claimsReusesAndRoutesAreCounted() async throws {
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let before = try await Self.scrape(client).samples
            #expect(Sample.value(before, "ide_orchestrator_pool_ready_containers") == 1)
            #expect(Sample.value(before, "ide_orchestrator_containers_claimed_total", ["start": "warm"]) == 0)

            #expect(try await Self.start(client, bucket: "metrics-bucket").status == .created)
            #expect(try await Self.start(client, bucket: "metrics-bucket").status == .ok)
            _ = try await client.execute(uri: "/api/containers/\(ready.id)", method: .get, headers: Self.key)
            _ = try await client.execute(uri: "/api/containers/doesnotexist0000", method: .get, headers: Self.key)
            _ = try await client.execute(uri: "/no/such/\(ready.id)", method: .get)

            let after = try await Self.scrape(client).samples
            #expect(Sample.value(after, "ide_orchestrator_containers_claimed_total", ["start": "warm"]) == 1)
            #expect(Sample.value(after, "ide_orchestrator_containers_claimed_total", ["start": "cold"]) == 0)
            #expect(Sample.value(after, "ide_orchestrator_containers_reused_total") == 1)
            #expect(Sample.value(after, "ide_orchestrator_claim_duration_seconds_count") == 1)
            #expect(Sample.value(after, "ide_orchestrator_pool_ready_containers") == 0)
            #expect(Sample.value(after, "ide_orchestrator_pool_assigned_containers") == 1)
            #expect(Sample.value(after, "ide_orchestrator_agent_request_duration_seconds_count", ["operation": "assign"]) == 1)
            let requests = { (route: String, status: String) in
                Sample.value(after, "ide_orchestrator_http_requests_total", ["route": route, "method": "GET", "status": status])
            }
            #expect(requests("/api/containers/{id}", "200") == 1)
            #expect(requests("/api/containers/{id}", "404") == 1)
            #expect(requests("unmatched", "404") == 1)
            #expect(Sample.value(after, "ide_orchestrator_http_requests_total", ["route": "/api/containers/start", "method": "POST", "status": "201"]) == 1)
            #expect(!after.contains { $0.labels.values.contains { $0.contains(ready.id) } }, "a raw path with an id became a label")
        }
    }

    @Test func engineCallsAreTimedAndFailuresCountedByOperation() async throws {
        let metrics = OrchestratorMetrics()
        let engine = InstrumentedDockerEngine(FakeDockerEngine(), metrics: metrics)
        try await engine.ping()
        _ = try? await engine.createService(ServiceSpec(name: "ide-x", labels: [:], taskTemplate: .init(containerSpec: .init(image: "img"))))
        _ = try? await engine.service("ide-missing")
        let samples = Sample.parse(metrics.render())
        #expect(Sample.value(samples, "ide_orchestrator_engine_request_duration_seconds_count", ["operation": "ping"]) == 1)
        #expect(Sample.value(samples, "ide_orchestrator_engine_request_errors_total", ["operation": "create_service", "code": "engineError"]) == 1)
        #expect(Sample.value(samples, "ide_orchestrator_engine_request_errors_total", ["operation": "service", "code": "serviceNotFound"]) == 1)
        #expect(Sample.value(samples, "ide_orchestrator_engine_request_errors_total", ["operation": "ping", "code": "engineError"]) == nil)
    }

    @Test func theDashboardQueriesOnlyFamiliesTheServiceExports() throws {
        let metrics = OrchestratorMetrics()
        _ = metrics.engineDuration("ping")
        _ = metrics.engineErrors("ping", code: "engineError")
        _ = metrics.agentDuration("assign")
        _ = metrics.httpRequests(route: "/live", method: "GET", status: 200)
        _ = metrics.httpDuration(route: "/live", method: "GET")
        let families = Set(metrics.render().split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/grafana-dashboard.json")
        let dashboard = try String(contentsOf: url, encoding: .utf8)
        #expect(try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) is [String: Any])
        let used = Set(dashboard.matches(of: /ide_orchestrator_[a-z_]+/).map { match in
            String(match.output).replacing(/_(bucket|sum|count)$/, with: "")
        })
        #expect(used.count >= 10)
        #expect(used.subtracting(families).isEmpty, "the dashboard uses unknown families")
    }

    // MARK: - Lifecycle tally

    @Test func auditEventsMapToLifecycleCounters() {
        func event(_ kind: String, _ from: ContainerStatus?, _ to: ContainerStatus?, reason: String? = nil, pooled: Bool? = true, shutdown: ShutdownReason? = nil, claimMillis: Double? = nil) -> LifecycleEvent {
            LifecycleEvent(id: 1, kind: kind, fromStatus: from, toStatus: to, reason: reason, isPreWarmed: pooled, shutdownReason: shutdown, claimMillis: claimMillis)
        }
        #expect(LifecycleTally.of(event("created", nil, .creating, reason: "pool refill")) == [.created(.pool)])
        #expect(LifecycleTally.of(event("created", nil, .creating, reason: "cold start", pooled: false)) == [.created(.cold)])
        #expect(LifecycleTally.of(event("created", nil, .warming, reason: "adopted service x found in Swarm without a record")) == [.created(.adopted)])
        #expect(LifecycleTally.of(event("assigned", .assigning, .running, claimMillis: 4.5)) == [.claimed(.warm, duration: .microseconds(4500))])
        #expect(LifecycleTally.of(event("assigned", .assigning, .running, pooled: false, claimMillis: 2500)) == [.claimed(.cold, duration: .seconds(2.5))])
        #expect(LifecycleTally.of(event("claimed", .ready, .assigning)) == [])
        #expect(LifecycleTally.of(event("failed", .assigning, .failed, reason: "assignment failed")) == [.failed])
        #expect(LifecycleTally.of(event("failed", .ready, .failed, reason: "unhealthy while warm")) == [.replaced, .failed])
        #expect(LifecycleTally.of(event("stopping", .ready, .stopping, reason: "expired: warm too long", shutdown: .expired)) == [.replaced])
        #expect(LifecycleTally.of(event("stopping", .ready, .stopping, reason: "surplus: too many", shutdown: .surplus)) == [])
        #expect(LifecycleTally.of(event("stopped", .stopping, .stopped, reason: "manual", shutdown: .manual)) == [.stopped(reason: "manual")])
        // A pruned record: the reason comes from the event.
        #expect(LifecycleTally.of(event("stopped", .ready, .stopped, reason: "service_removed: the service is gone", pooled: nil)) == [.replaced, .stopped(reason: "service_removed")])
    }

    // MARK: - Request ids and logs

    @Test func aWellFormedRequestIdIsKeptAndAnyOtherReplaced() async throws {
        try await Harness().test { client in
            let kept = try await client.execute(uri: "/live", method: .get, headers: [.requestID: "abc-123_x.y:z"])
            #expect(kept.headers[.requestID] == "abc-123_x.y:z")
            for bad in ["", "has space", "quote\"d", String(repeating: "a", count: 129), "ünï"] {
                let replaced = try await client.execute(uri: "/live", method: .get, headers: [.requestID: bad])
                let id = try #require(replaced.headers[.requestID])
                #expect(id != bad && RequestID.isWellFormed(id))
            }
            let error = try await client.execute(uri: "/api/containers", method: .get)
            #expect(error.status == .unauthorized && error.headers[.requestID] != nil)
        }
    }

    @Test func everyLineTheClaimWritesCarriesTheRequestIdAndNoSecret() async throws {
        let agent = RefusingFirstAgent()
        let harness = try Harness(agent: agent)
        let refused = try await harness.insertReadyPoolContainer()
        let served = try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let response = try await Self.start(client, bucket: "logged-bucket", requestID: "unit-req-1")
            #expect(response.status == .created)
            #expect(response.headers[.requestID] == "unit-req-1")
        }
        let objects = harness.lines.objects
        #expect(objects.count == harness.lines.all.count, "a line is not one JSON object")
        let claimLines = objects.filter { ["Assignment failed", "Container failed", "Container assigned"].contains($0["message"] as? String) }
        #expect(Set(claimLines.compactMap { $0["message"] as? String }) == ["Assignment failed", "Container failed", "Container assigned"])
        for line in claimLines {
            #expect(line["request.id"] as? String == "unit-req-1", "\(line)")
            #expect(line["level"] is String && line["time"] is String && line["label"] as? String == "ide-orchestrator")
        }
        #expect(claimLines.contains { $0["container.id"] as? String == refused.id && $0["service.name"] as? String == "ide-\(refused.id)" })
        #expect(claimLines.contains { $0["container.id"] as? String == served.id })
        let everything = harness.lines.all.joined(separator: "\n")
        #expect(!everything.contains("unit-secret-value-42") && !everything.contains("key-one"))
    }

    @Test func logLinesRenderAsOneJSONObjectOrOneTextLine() throws {
        let line = LogLine(time: Date(timeIntervalSince1970: 0), level: .warning, label: "ide-orchestrator", message: "Quote \" and\nnewline",
                           source: "IDEOrchestrator", metadata: ["container.id": "abc123", "message": "clash", "n": .stringConvertible(3), "list": ["a", "b"]])
        let json = line.json()
        #expect(!json.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "Quote \" and\nnewline")
        #expect(object["meta.message"] as? String == "clash")
        #expect(object["level"] as? String == "warning")
        #expect(object["time"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(object["service.name"] as? String == "ide-abc123")
        #expect(object["n"] as? String == "3" && object["list"] as? [String] == ["a", "b"])
        let text = line.text()
        #expect(!text.contains("\n") && text.contains("warning ide-orchestrator: Quote") && text.contains("container.id=abc123"))
    }

    @Test func logFormatAndMetricsPublicAreValidated() throws {
        #expect(try testSettings().logFormat == .text)
        #expect(try testSettings().metricsPublic == false)
        #expect(try testSettings(["LOG_FORMAT": "JSON", "METRICS_PUBLIC": "true"]).logFormat == .json)
        #expect(throws: SettingsError.self) { try testSettings(["LOG_FORMAT": "xml"]) }
        #expect(throws: SettingsError.self) { try testSettings(["METRICS_PUBLIC": "maybe"]) }
    }
}

/// An agent that refuses its first assignment and accepts the rest.
final class RefusingFirstAgent: AgentClient, Sendable {
    private let calls = Mutex(0)

    func health(address: String, port: Int, containerId: String) async -> AgentHealth? { AgentHealth(assigned: false) }

    func flush(address: String, port: Int, containerId: String, timeout: Duration) async -> FlushOutcome { .nothingToFlush }

    func updateCredentials(address: String, port: Int, containerId: String, credentials: AgentCredentials) async throws(AgentError) {}

    func assign(address: String, port: Int, assignment: AgentAssignment) async throws(AgentError) {
        let call = calls.withLock { value -> Int in
            value += 1
            return value
        }
        if call == 1 { throw AgentError(.refused, status: 500, "the agent could not start the sync") }
    }
}

/// One sample of a text exposition, parsed loosely (the integration tests use a strict parser).
struct Sample {
    var name: String
    var labels: [String: String]
    var value: Double

    static func parse(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: "\",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].drop { $0 == "\"" }.prefix { $0 != "\"" })
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
