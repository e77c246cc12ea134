import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOEmbedded
import Testing
@testable import IDEOrchestrator

/// Issue 8, item 3: bounded input on every route, cheap and rate-limited public routes, and no
/// internal error text in any answer.
@Suite struct InputBoundsTests {
    static let key: HTTPFields = [.authorization: "Bearer key-one"]

    /// A body streamed in chunks, with no declared length.
    static func chunked(_ total: Int, chunk: Int = 1024, pulled: DirectRouter.Counter? = nil) -> RequestBody {
        let chunks = stride(from: 0, to: total, by: chunk).map { ByteBuffer(repeating: UInt8(ascii: "x"), count: min(chunk, total - $0)) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for buffer in chunks { continuation.yield(buffer) }
            continuation.finish()
        }
        return RequestBody(asyncSequence: stream.map { buffer in
            pulled?.increment()
            return buffer
        })
    }

    // MARK: - Bodies

    @Test(arguments: ["/api/containers/start", "/live", "/api/health", "/nowhere"])
    func declaredBodyOverTheLimitIsRefusedWith413BeforeItIsRead(path: String) async throws {
        let router = try DirectRouter(["MAX_REQUEST_BODY_BYTES": "2048"])
        try await router.insertReadyContainer()
        let pulled = DirectRouter.Counter()
        var headers = Self.key
        headers[.contentLength] = "1000000"
        headers[.contentType] = "application/json"
        let answer = try await router.send(path == "/api/containers/start" ? .post : .get, path, headers: headers, body: Self.chunked(4096, pulled: pulled))
        #expect(answer.status == .contentTooLarge)
        #expect(answer.code == "PAYLOAD_TOO_LARGE")
        #expect(pulled.count == 0, "the body was read before refusing it")
        #expect(router.agent.assignments.isEmpty)
    }

    @Test func streamedBodyOverTheLimitFailsAsSoonAsItPassesTheLimit() async throws {
        let router = try DirectRouter(["MAX_REQUEST_BODY_BYTES": "2048"])
        try await router.insertReadyContainer()
        let pulled = DirectRouter.Counter()
        var headers = Self.key
        headers[.transferEncoding] = "chunked"
        headers[.contentType] = "application/json"
        let answer = try await router.send(.post, "/api/containers/start", headers: headers, body: Self.chunked(1 << 20, pulled: pulled))
        #expect(answer.status == .contentTooLarge)
        #expect(answer.code == "PAYLOAD_TOO_LARGE")
        #expect(pulled.count <= 3, "read \(pulled.count) KiB of a 1 MiB body with a 2 KiB limit")
        #expect(router.agent.assignments.isEmpty)
    }

    @Test func streamedBodyWithinTheLimitIsAccepted() async throws {
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        let json = #"{"s3Bucket":"chunked-bucket"}"#
        var headers = Self.key
        headers[.transferEncoding] = "chunked"
        headers[.contentType] = "application/json"
        let stream = AsyncStream<ByteBuffer> { continuation in
            for part in [String(json.prefix(10)), String(json.dropFirst(10))] { continuation.yield(ByteBuffer(string: part)) }
            continuation.finish()
        }
        let answer = try await router.send(.post, "/api/containers/start", headers: headers, body: RequestBody(asyncSequence: stream))
        #expect(answer.status == .created, "\(answer.body)")
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "json"])
    func wrongContentTypeIsRefusedWith415(contentType: String) async throws {
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        var headers = Self.key
        headers[.contentType] = contentType
        let answer = try await router.send(.post, "/api/containers/start", headers: headers, json: #"{"s3Bucket":"test-bucket"}"#)
        #expect(answer.status == .unsupportedMediaType)
        #expect(answer.code == "UNSUPPORTED_MEDIA_TYPE")
        #expect(router.agent.assignments.isEmpty)
    }

    @Test(arguments: ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.start+json"])
    func jsonContentTypesAreAccepted(contentType: String) async throws {
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        var headers = Self.key
        headers[.contentType] = contentType
        let answer = try await router.send(.post, "/api/containers/start", headers: headers, json: #"{"s3Bucket":"test-bucket"}"#)
        #expect(answer.status == .created, "\(answer.body)")
    }

    @Test(arguments: ["{", "{\"s3Bucket\":", "\u{00}", "{\"s3Bucket\":\"a\"}}", "nul", "{\"s3Bucket\": [\"test-bucket\"]}"])
    func invalidJSONIsRefusedWith400(body: String) async throws {
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        let answer = try await router.send(.post, "/api/containers/start", headers: Self.key, json: body)
        #expect(answer.status == .badRequest)
        #expect(answer.code == "INVALID_REQUEST_BODY")
        #expect(router.agent.assignments.isEmpty)
    }

    @Test func unknownFieldsAreIgnored() async throws {
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        let answer = try await router.send(.post, "/api/containers/start", headers: Self.key,
                                           json: #"{"s3Bucket":"test-bucket","unknown":1,"nested":{"a":[1,null]},"isPreWarmed":false}"#)
        #expect(answer.status == .created, "\(answer.body)")
    }

    // MARK: - Queries and ids

    @Test(arguments: ["/api/containers?limit=0", "/api/containers?limit=501", "/api/containers?offset=-1", "/api/containers?offset=1000001",
                      "/api/containers?limit=99999999999999999999", "/api/containers?limit=1e2", "/api/events/recent?limit=0",
                      "/api/events/recent?limit=501", "/api/events/recent?after=-1", "/api/events/recent?after=x",
                      "/api/containers?status=", "/api/containers?limit=", "/api/events/recent?after=", "/api/containers?status=READY"])
    func outOfRangeQueriesAreRefusedWith400WithoutAQuery(path: String) async throws {
        let router = try DirectRouter()
        let before = router.statements.count
        let answer = try await router.send(.get, path, headers: Self.key)
        #expect(answer.status == .badRequest)
        #expect(answer.code == "INVALID_QUERY")
        #expect(router.statements.count == before, "the store was queried")
    }

    @Test(arguments: ["UPPERCASE0000000", "short", "has-dash-00000000", "x" + String(repeating: "a", count: 70), "%27%20OR%201%3D1", "caf%C3%A9000000000000"])
    func idsThatCannotBeOursAreNotFoundWithoutAQuery(id: String) async throws {
        let router = try DirectRouter()
        let (_, token) = try await router.insertRunningContainer(bucket: "b-one")
        let before = router.statements.count
        for (method, path, headers) in [
            (HTTPRequest.Method.get, "/api/containers/\(id)", Self.key), (.delete, "/api/containers/\(id)", Self.key),
            (.delete, "/api/containers/\(id)/record", Self.key),
            (.post, "/api/containers/\(id)/activity", [.authorization: "Bearer \(token)"] as HTTPFields),
            (.post, "/api/containers/\(id)/inactivity-shutdown", [.authorization: "Bearer \(token)"] as HTTPFields),
        ] {
            let answer = try await router.send(method, path, headers: headers)
            #expect(answer.status == .notFound, "\(method) \(path): \(answer.body)")
            #expect(answer.code == "CONTAINER_NOT_FOUND")
        }
        #expect(router.statements.count == before, "the store was queried")
    }

    @Test(arguments: [("TRACE", "/api/containers/start", "POST"), ("GET", "/api/containers/start", "POST"), ("PUT", "/api/containers/abcdefghijkl0000", "DELETE, GET"),
                      ("PATCH", "/live", "GET"), ("POST", "/api/health", "GET"), ("TRACE", "/", "GET"), ("PUT", "/api/nowhere", nil)])
    func unroutedMethodsAreRefusedWith405AndAllow(method: String, path: String, allow: String?) async throws {
        let router = try DirectRouter()
        let answer = try await router.send(HTTPRequest.Method(method)!, path, headers: Self.key)
        if let allow {
            #expect(answer.status == .methodNotAllowed, "\(method) \(path): \(answer.body)")
            #expect(answer.code == "METHOD_NOT_ALLOWED")
            #expect(answer.headers[.allow] == allow)
        } else {
            #expect(answer.status == .notFound, "\(method) \(path): \(answer.body)")
        }
    }

    // MARK: - Public routes

    @Test func publicRoutesAreRateLimitedPerClientWithRetryAfter() async throws {
        let router = try DirectRouter(["PUBLIC_RATE_LIMIT_PER_MINUTE": "4"])
        let (record, token) = try await router.insertRunningContainer(bucket: "b-one")
        for path in ["/live", "/ready", "/api/health", "/api/openapi.yaml"] {
            #expect(try await router.send(.get, path).status == .ok, "\(path)")
        }
        for (method, path, headers) in [
            (HTTPRequest.Method.get, "/live", [:] as HTTPFields), (.get, "/dashboard/", [:]), (.get, "/api/health", [:]),
            (.post, "/api/containers/\(record.id)/activity", [.authorization: "Bearer wrong-\(token)"]),
            (.get, "/api/containers", [.authorization: "Bearer wrong-key"]),
        ] {
            let answer = try await router.send(method, path, headers: headers)
            #expect(answer.status == .tooManyRequests, "\(method) \(path)")
            #expect(answer.code == "RATE_LIMITED")
            #expect(answer.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
        }
        // A valid API key is limited per key instead.
        #expect(try await router.send(.get, "/live", headers: Self.key).status == .ok)
        #expect(try await router.send(.get, "/api/containers", headers: Self.key).status == .ok)
    }

    @Test func publicLimitOnARealConnectionIgnoresForwardedHeaders() async throws {
        let router = try DirectRouter(["PUBLIC_RATE_LIMIT_PER_MINUTE": "2"])
        try await Application(router: buildRouter(router.orchestrator)).test(.live) { client in
            #expect(try await client.execute(uri: "/live", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/live", method: .get).status == .ok)
            let forged = try await client.execute(uri: "/live", method: .get, headers: [.init("X-Forwarded-For")!: "203.0.113.9"])
            #expect(forged.status == .tooManyRequests)
            #expect(forged.headers[.retryAfter] != nil)
            #expect(try await client.execute(uri: "/live", method: .get, headers: Self.key).status == .ok)
        }
    }

    @Test func tokenBucketsArePerClientAndTheTableStaysBounded() {
        let buckets = TokenBuckets(perMinute: 2, maxKeys: 100)
        let now = ContinuousClock.now
        #expect(buckets.take("10.0.0.1", now: now) == nil)
        #expect(buckets.take("10.0.0.1", now: now) == nil)
        #expect(buckets.take("10.0.0.1", now: now) == 30)
        #expect(buckets.take("10.0.0.2", now: now) == nil, "another client has its own bucket")
        #expect(buckets.take("10.0.0.1", now: now + .seconds(30)) == nil, "a token comes back after 30 s")
        for index in 0..<1000 { _ = buckets.take("client-\(index)", now: now + .seconds(120) + .milliseconds(index)) }
        #expect(buckets.count <= 100)
        #expect(buckets.take("client-999", now: now + .seconds(121)) == nil, "the newest clients keep their buckets")
    }

    @Test func healthAndReadyAnswerFromSampledEngineStateNotAnEngineCallPerRequest() async throws {
        let engine = FakeDockerEngine()
        let router = try DirectRouter(engine: engine)
        let started = ContinuousClock.now
        for _ in 0..<25 {
            #expect(try await router.send(.get, "/api/health").status == .ok)
            #expect(try await router.send(.get, "/ready").status == .ok)
        }
        // One sample serves every request for 4 s (twice the sampling interval).
        let allowed = 1 + Int((ContinuousClock.now - started) / .seconds(4))
        let calls = engine.calls.filter { $0 == "version" || $0 == "ping" }.count
        #expect(calls >= 1 && calls <= allowed, "\(calls) engine calls for 50 requests (at most \(allowed))")
    }

    @Test func healthWithoutTheKeySaysOnlyItsStatus() async throws {
        let swarm = FakeSwarm()
        swarm.setUnreachable(true)
        let node = NodeResources(id: "node-id-4f2a9c", hostname: "secret-host-7", state: "ready", memoryBytes: 1 << 30, nanoCPUs: 1_000_000_000,
                                 reservedMemoryBytes: 0, reservedNanoCPUs: 0)
        let gate = FixedResourceGate(fixed: .evaluate(memoryPercent: 20, cpuPercent: 10, maxMemoryPercent: 90, maxCpuPercent: 90, nodes: [node], at: Date()))
        let router = try DirectRouter(engine: swarm, resources: gate)
        let anonymous = try await router.send(.get, "/api/health")
        #expect(anonymous.status == .serviceUnavailable)
        #expect(anonymous.json?.keys.sorted() == ["status"], "no engine, store, pool, resources or time: \(anonymous.body)")
        #expect(anonymous.json?["status"] as? String == "degraded")
        let detailed = try await router.send(.get, "/api/health", headers: Self.key)
        #expect(detailed.status == .serviceUnavailable)
        #expect(detailed.body.contains("node-id-4f2a9c") && detailed.body.contains("secret-host-7") && detailed.body.contains("the fake engine is down"))
        #expect(Set(detailed.json?.keys.map { $0 } ?? []) == ["status", "engine", "store", "pool", "resources", "timestamp"])
        // A healthy engine: the version and the figures only with the key.
        let healthy = try DirectRouter()
        let open = try await healthy.send(.get, "/api/health")
        #expect(open.status == .ok && open.json?.keys.sorted() == ["status"] && open.json?["status"] as? String == "ok", "\(open.body)")
        let keyed = try await healthy.send(.get, "/api/health", headers: Self.key)
        #expect(keyed.status == .ok && keyed.body.contains("fake-1.0") && keyed.json?["pool"] != nil)
    }

    @Test func activityReportsCloseTogetherWriteOnce() async throws {
        let router = try DirectRouter()
        let (record, token) = try await router.insertRunningContainer(bucket: "b-one")
        let auth: HTTPFields = [.authorization: "Bearer \(token)"]
        let first = try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth)
        #expect(first.status == .ok)
        let stored = try #require(try await router.store.container(record.id)?.lastActivityAt)
        let before = router.writes.count
        for _ in 0..<10 {
            let again = try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth)
            #expect(again.status == .ok)
            #expect(again.json?["lastActivityAt"] as? String == Timestamp.string(stored), "the stored time is answered")
        }
        #expect(router.writes.count == before, "\(router.writes.count - before) writes for 10 reports")
        #expect(try await router.store.container(record.id)?.lastActivityAt == stored)
        // An older stored time is brought up to date.
        _ = try await router.store.update(record.id, in: [.running]) { $0.lastActivityAt = Date().addingTimeInterval(-60) }
        let later = try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth)
        #expect(later.status == .ok)
        #expect(try #require(try await router.store.container(record.id)?.lastActivityAt) > Date().addingTimeInterval(-10))
    }

    @Test func coalescingNeverSpansMoreThanATenthOfTheIdleTimeout() {
        #expect(ActivityRoutes.coalescingWindow(idleTimeout: nil) == 5)
        #expect(ActivityRoutes.coalescingWindow(idleTimeout: .seconds(3600)) == 5)
        #expect(ActivityRoutes.coalescingWindow(idleTimeout: .seconds(4)) == 0.4)
    }

    // MARK: - Internal error text

    @Test func storeFailuresAnswerWithTheRequestIDAndNoSQLiteText() async throws {
        let router = try DirectRouter()
        try await router.store.writer.write { try $0.execute(sql: "DROP TABLE container") }
        var headers = Self.key
        headers[.requestID] = "req-store-failure-1"
        for path in ["/api/containers", "/api/queue", "/api/containers/abcdefghijkl0000"] {
            let answer = try await router.send(.get, path, headers: headers)
            #expect(answer.status == .internalServerError, "\(path): \(answer.body)")
            #expect(answer.code == "INTERNAL_ERROR")
            #expect(answer.message?.contains("req-store-failure-1") == true, "\(answer.body)")
            for text in ["sqlite", "no such table", "sql", "grdb"] {
                #expect(!answer.body.lowercased().contains(text), "\(text) in \(answer.body)")
            }
        }
        #expect(router.lines.all.contains { $0.contains("no such table") && $0.contains("req-store-failure-1") }, "the failure is logged with the request id")
    }

    @Test func internalErrorTextIsLoggedWithTheRequestIDNotSent() async throws {
        let lines = DirectRouter.Lines()
        let logger = Logger(label: "test") { label in OrchestratorLogHandler(label: label, format: .json, metadataProvider: .requestID) { lines.append($0) } }
        let middleware = ErrorMiddleware<AppRequestContext>(logger: logger, maxBodyBytes: 1024)
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: middleware)
        router.get("/fail") { _, _ -> Response in throw APIError.startFailed("A cold start failed; retry", internalDetail: "curl: (7) Failed to connect to /var/run/docker.sock") }
        let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/fail", headerFields: [.requestID: "req-42"]), body: .init(buffer: ByteBuffer()))
        let response = try await router.buildResponder().respond(to: request, context: AppRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: logger)))
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "10")
        let body = try await DirectRouter.text(of: response)
        #expect(!body.contains("curl") && !body.contains("docker.sock"), "\(body)")
        #expect(body.contains("A cold start failed; retry (request id req-42)"), "\(body)")
        #expect(lines.all.contains { $0.contains("Failed to connect") && $0.contains("req-42") })

        router.get("/engine") { _, _ -> Response in throw DockerError(.engineUnreachable, message: "curl: (7) Couldn't connect to server at /tmp/docker.sock") }
        let engineRequest = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/engine", headerFields: [.requestID: "req-43"]), body: .init(buffer: ByteBuffer()))
        let engineResponse = try await router.buildResponder().respond(to: engineRequest, context: AppRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: logger)))
        let engineBody = try await DirectRouter.text(of: engineResponse)
        #expect(engineResponse.status == .serviceUnavailable)
        #expect(engineBody.contains("ENGINE_UNAVAILABLE") && engineBody.contains("req-43") && !engineBody.contains("curl") && !engineBody.contains("docker.sock"), "\(engineBody)")
        #expect(lines.all.contains { $0.contains("Couldn't connect") && $0.contains("req-43") })
    }
}
