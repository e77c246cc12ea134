import Foundation
import Testing
@testable import IDEOrchestrator

/// `/metrics` and JSON logs of the real binary against the real Swarm.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct ObservabilityTests {
    static let fast = ["RECONCILE_INTERVAL": "2s", "POOL_CHECK_INTERVAL": "1s", "RESOURCE_SAMPLE_INTERVAL": "1s", "HEALTH_CHECK_INTERVAL": "1h"]

    @Test func metricsCountAWarmClaimAColdStartARefusedAgentAndStops() async throws {
        try await ServiceProcess.run(Self.fast.merging(["PRE_WARMED_QUEUE_SIZE": "2"]) { _, new in new }) { service in
            try await service.waitForReady(2)
            // Both warm containers' agents refuse (they already hold another bucket): the start
            // fails them both, waits for each to be gone (a refusing agent was sent the bucket's
            // credentials, so it holds the bucket until then), and takes the first container
            // ready after that: the pool's refill, or a cold start if it had to wait.
            try await sabotageReadyContainers(service)
            let cold = try await service.start(bucket: "cold-bucket")
            #expect(cold.status == 201, "\(cold.text)")
            let coldId = try #require(cold.json["id"] as? String)

            try await service.waitForReady(2)
            let warm = try await service.start(bucket: "warm-bucket")
            #expect(warm.status == 201 && warm.json["isPreWarmed"] as? Bool == true, "\(warm.text)")
            let warmId = try #require(warm.json["id"] as? String)
            #expect(try await service.start(bucket: "warm-bucket").status == 200)
            #expect(try await service.call("DELETE", "/api/containers/\(coldId)").status == 200)

            // A warm container's service removed behind the service's back is replaced.
            try await service.waitForReady(2)
            let victim = try #require(try await readyIds(service).first)
            try await TestEnvironment.engine().removeService("ide-\(victim)")
            _ = try await eventually(within: .seconds(30), "the removed warm container to be failed and replaced") { () -> Bool? in
                let detail = try await service.call("GET", "/api/containers/\(victim)")
                let ready = try await service.pool()["ready"]
                return detail.json["status"] as? String == "failed" && ready == 2 ? true : nil
            }

            #expect(try await service.call("GET", "/metrics", key: nil).status == 401)
            let scrape = try await service.call("GET", "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let metrics = try ParsedMetrics(text: scrape.text)

            // Names follow Prometheus conventions.
            for family in metrics.families {
                #expect(family.name.hasPrefix("ide_orchestrator_"), "\(family.name)")
                #expect(family.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(family.name)")
                if family.type == "histogram" { #expect(family.name.hasSuffix("_seconds"), "\(family.name)") }
            }
            for sample in metrics.samples where sample.type == "counter" {
                #expect(sample.name.hasSuffix("_total"), "\(sample.name)")
            }

            #expect(metrics.type("ide_orchestrator_pool_ready_containers") == "gauge")
            #expect(metrics.value("ide_orchestrator_pool_target_containers") == 2)
            #expect(metrics.value("ide_orchestrator_pool_ready_containers") == 2)
            #expect(metrics.value("ide_orchestrator_pool_warming_containers") == 0)
            #expect(metrics.value("ide_orchestrator_pool_assigned_containers") == 1)

            #expect(metrics.type("ide_orchestrator_containers_claimed") == "counter")
            let warmClaims = try #require(metrics.value("ide_orchestrator_containers_claimed_total", ["start": "warm"]))
            let coldClaims = try #require(metrics.value("ide_orchestrator_containers_claimed_total", ["start": "cold"]))
            #expect(warmClaims + coldClaims == 2 && warmClaims >= 1)
            #expect(metrics.value("ide_orchestrator_containers_reused_total") == 1)
            // The two refused, and the warm one whose service vanished.
            #expect(metrics.value("ide_orchestrator_containers_failed_total") == 3)
            #expect(metrics.value("ide_orchestrator_containers_replaced_total") == 1)
            #expect(metrics.value("ide_orchestrator_containers_stopped_total", ["reason": "manual"]) == 1)
            #expect(metrics.value("ide_orchestrator_containers_stopped_total", ["reason": "service_removed"]) == 0)
            #expect(metrics.value("ide_orchestrator_containers_stopped_total", ["reason": "expired"]) == 0)
            // Two at start, two after the refusals, one after each claim, one after the removal;
            // one fewer when a cold start served the first request, and one more when the pool's
            // refill and a cold start raced for it (the loser joins the pool).
            let pooled = try #require(metrics.value("ide_orchestrator_containers_created_total", ["origin": "pool"]))
            #expect((5...8).contains(pooled))
            let coldCreated = try #require(metrics.value("ide_orchestrator_containers_created_total", ["origin": "cold"]))
            #expect(coldCreated <= coldClaims)
            #expect(metrics.value("ide_orchestrator_containers_created_total", ["origin": "adopted"]) == 0)
            // Every launch ends ready first, the cold start's too (docs/lifecycle.md).
            #expect(metrics.value("ide_orchestrator_container_warmup_duration_seconds_count") == pooled + coldCreated)

            #expect(metrics.type("ide_orchestrator_claim_duration_seconds") == "histogram")
            #expect(metrics.value("ide_orchestrator_claim_duration_seconds_count") == warmClaims)
            #expect(metrics.value("ide_orchestrator_cold_start_duration_seconds_count") == coldClaims)
            #expect(try #require(metrics.value("ide_orchestrator_claim_duration_seconds_sum")) > 0)
            // Warm claims resolve milliseconds: there are buckets below 10 ms.
            #expect(metrics.samples.contains { $0.name == "ide_orchestrator_claim_duration_seconds_bucket" && (Double($0.labels["le"] ?? "") ?? 1) < 0.01 })

            #expect(metrics.value("ide_orchestrator_agent_request_errors_total", ["operation": "assign"]) == 2)
            #expect(metrics.value("ide_orchestrator_agent_request_duration_seconds_count", ["operation": "assign"]) == 4)
            #expect(metrics.value("ide_orchestrator_engine_request_duration_seconds_count", ["operation": "create_service"]) == pooled + coldCreated)
            // Two discards and one DELETE; the reconciler may also remove a discarded container's
            // service if it sees it before the discard does.
            #expect((metrics.value("ide_orchestrator_engine_request_duration_seconds_count", ["operation": "remove_service"]) ?? 0) >= 3)
            #expect(!metrics.samples.contains { $0.name == "ide_orchestrator_engine_request_errors_total" && $0.labels["operation"] == "create_service" })

            #expect(metrics.value("ide_orchestrator_http_requests_total", ["route": "/api/containers/start", "method": "POST", "status": "201"]) == 2)
            #expect(metrics.value("ide_orchestrator_http_requests_total", ["route": "/api/containers/start", "method": "POST", "status": "200"]) == 1)
            #expect(metrics.value("ide_orchestrator_http_requests_total", ["route": "/api/containers/{id}", "method": "DELETE", "status": "200"]) == 1)
            #expect(metrics.value("ide_orchestrator_http_requests_total", ["route": "/metrics", "method": "GET", "status": "401"]) == 1)
            #expect((metrics.value("ide_orchestrator_http_request_duration_seconds_count", ["route": "/api/health", "method": "GET"]) ?? 0) >= 1)
            for id in [coldId, warmId, victim] {
                #expect(!metrics.samples.contains { $0.labels.values.contains { $0.contains(id) } }, "a raw path became a label")
            }

            let passes = try #require(metrics.value("ide_orchestrator_reconcile_passes_total"))
            #expect(passes >= 1 && metrics.value("ide_orchestrator_reconcile_duration_seconds_count") == passes)
            let memory = try #require(metrics.value("ide_orchestrator_node_memory_used_ratio"))
            let cpu = try #require(metrics.value("ide_orchestrator_node_cpu_used_ratio"))
            #expect(memory > 0 && memory <= 1 && cpu >= 0 && cpu <= 1)
            #expect(metrics.value("ide_orchestrator_spawn_allowed") == 1)
        }
    }

    @Test func aColdStartIsCountedAndTimedAsCold() async throws {
        try await ServiceProcess.run(Self.fast.merging(["PRE_WARMED_QUEUE_SIZE": "0"]) { _, new in new }) { service in
            let cold = try await service.start(bucket: "cold-only-bucket")
            #expect(cold.status == 201, "\(cold.text)")
            #expect(cold.json["isPreWarmed"] as? Bool == false)
            let metrics = try ParsedMetrics(text: try await service.call("GET", "/metrics").text)
            #expect(metrics.value("ide_orchestrator_containers_claimed_total", ["start": "cold"]) == 1)
            #expect(metrics.value("ide_orchestrator_containers_claimed_total", ["start": "warm"]) == 0)
            #expect(metrics.value("ide_orchestrator_containers_created_total", ["origin": "cold"]) == 1)
            #expect(metrics.value("ide_orchestrator_cold_start_duration_seconds_count") == 1)
            #expect(metrics.value("ide_orchestrator_cold_start_duration_seconds_bucket", ["le": "+Inf"]) == 1)
            #expect(try #require(metrics.value("ide_orchestrator_cold_start_duration_seconds_sum")) > 0)
        }
    }

    @Test func jsonLogsCarryTheStartRequestIdOnEveryClaimLineAndNoSecret() async throws {
        let secret = "secret-\(UUID().uuidString)"
        let password = "vnc-\(UUID().uuidString)"
        try await ServiceProcess.run(Self.fast.merging(["PRE_WARMED_QUEUE_SIZE": "2", "LOG_FORMAT": "json"]) { _, new in new }) { service in
            try await service.waitForReady(2)
            let refused = try await sabotageReadyContainers(service)
            let requestID = "itest-\(UUID().uuidString)"
            let reply = try await service.call("POST", "/api/containers/start", headers: ["X-Request-Id": requestID], body: """
                {"s3Bucket":"logged-bucket","awsAccessKeyId":"AKIAITEST","awsSecretAccessKey":"\(secret)","vncPassword":"\(password)"}
                """)
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.headers["x-request-id"] == requestID)
            let id = try #require(reply.json["id"] as? String)
            let address = try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
            let token = try #require((try await agentAssignment(address: address, token: service.agentToken(for: id))["request"] as? [String: Any])?["activityToken"] as? String)
            try await service.waitForReady(2)

            let log = try String(contentsOf: service.directory.appendingPathComponent("service.log"), encoding: .utf8)
            let lines = log.split(separator: "\n")
            let objects = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            #expect(!lines.isEmpty && objects.count == lines.count, "lines that are not JSON objects: \(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }.prefix(3))")
            for object in objects {
                #expect(object["time"] is String && object["level"] is String && object["label"] is String && object["message"] is String, "\(object)")
            }
            // What the claim wrote: both refusals, both failures, the assignment.
            let claimMessages: Set<String> = ["Assignment failed", "Container failed", "Container assigned"]
            let claimLines = objects.filter { claimMessages.contains($0["message"] as? String ?? "") && ((refused + [id]).contains($0["container.id"] as? String ?? "")) }
            #expect(claimLines.count == 5, "\(claimLines)")
            for line in claimLines {
                #expect(line["request.id"] as? String == requestID, "\(line)")
                #expect(line["service.name"] as? String == "ide-\(line["container.id"] as? String ?? "")")
            }
            // The pool's own work after the claim is not the request's.
            let refills = objects.filter { $0["message"] as? String == "Warm container ready" }
            #expect(!refills.isEmpty && refills.allSatisfy { $0["request.id"] == nil })
            for secretValue in [secret, password, token, service.apiKey] {
                #expect(!log.contains(secretValue), "a secret reached the log")
            }
        }
    }
}

/// Gives every ready container's agent another bucket behind the service's back, so it
/// refuses the next assignment; returns their ids.
@discardableResult
private func sabotageReadyContainers(_ service: ServiceProcess) async throws -> [String] {
    let ids = try await readyIds(service)
    let agent = service.agentClient()
    for id in ids {
        let address = try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
        _ = try await agent.assign(address: address, port: 3000, assignment: AgentAssignment(bucket: "someone-else", region: "us-east-1", containerId: id))
    }
    return ids
}

/// A text exposition parsed by prometheus_client's strict parser (scripts/parse-metrics.py).
struct ParsedMetrics {
    struct Sample {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double?
    }

    var samples: [Sample]
    var families: [(name: String, type: String)] {
        var seen: [String: String] = [:]
        for sample in samples { seen[sample.family] = sample.type }
        return seen.map { ($0.key, $0.value) }
    }

    init(text: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/parse-metrics.py").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("metrics.txt"), output = directory.appendingPathComponent("samples.json")
        try Data(text.utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the strict parser rejected the exposition:\n\(text.prefix(3000))")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]] ?? []
        samples = json.map {
            Sample(family: $0["family"] as? String ?? "", type: $0["type"] as? String ?? "", name: $0["name"] as? String ?? "",
                   labels: $0["labels"] as? [String: String] ?? [:], value: $0["value"] as? Double)
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func type(_ family: String) -> String? {
        samples.first { $0.family == family }?.type
    }
}
