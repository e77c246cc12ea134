import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// The HTTP API end to end through the router, over an in-memory store and fakes.
@Suite struct APIRouterTests {
    /// An orchestrator over fakes, and the fakes themselves for inspection.
    struct Harness {
        let orchestrator: Orchestrator
        let engine = FakeDockerEngine()
        let agent = FakeAgent()
        let checker = AcceptingBucketChecker()
        let store: AppDatabase

        init(_ environment: [String: String] = [:], gate: FixedResourceGate = .allowing) throws {
            store = try AppDatabase.inMemory()
            orchestrator = Orchestrator.make(
                settings: try testSettings(environment), store: store, engine: engine, agent: agent,
                resources: gate, bucketChecker: checker, logger: quietLogger()
            )
        }

        func test<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
            try await Application(router: buildRouter(orchestrator)).test(.router, body)
        }

        @discardableResult
        func insertReadyPoolContainer() async throws -> ContainerRecord {
            try await orchestrator.insertReadyPoolContainer()
        }
    }

    static let keyOne: HTTPFields = [.authorization: "Bearer key-one"]
    static let keyTwo: HTTPFields = [.authorization: "Bearer key-two"]

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static func text(_ response: TestResponse) -> String {
        String(decoding: Data(response.body.readableBytesView), as: UTF8.self)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        return try #require(object as? [String: Any], "body is not a JSON object: \(text(response))")
    }

    /// Checks status, the error shape `{"error":{"code","message"},"timestamp","path"}` and the code.
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String, path: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "body: \(text(response))", sourceLocation: sourceLocation)
        let body = try json(response)
        #expect(Set(body.keys) == ["error", "timestamp", "path"], sourceLocation: sourceLocation)
        let error = try #require(body["error"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(Set(error.keys) == ["code", "message"], sourceLocation: sourceLocation)
        #expect(error["code"] as? String == code, sourceLocation: sourceLocation)
        #expect((error["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect((body["timestamp"] as? String).flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) } != nil,
                "timestamp \(body["timestamp"] ?? "nil") is not ISO 8601", sourceLocation: sourceLocation)
        if let path { #expect(body["path"] as? String == path, sourceLocation: sourceLocation) }
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    }

    // MARK: - Authentication

    @Test func missingKeyIsRejectedWithAuthenticationFailed() async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers", method: .get)
            try Self.expectError(response, .unauthorized, code: "AUTHENTICATION_FAILED", path: "/api/containers")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test(arguments: ["Bearer wrong-key", "Bearer key-one-extra", "Bearer KEY-ONE", "Bearer key-one,key-two"])
    func wrongKeyIsRejectedWithAuthenticationFailed(_ header: String) async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers", method: .get, headers: [.authorization: header])
            try Self.expectError(response, .unauthorized, code: "AUTHENTICATION_FAILED")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test(arguments: ["key-one", "Basic key-one", "Bearer", "Bearer   ", "Token key-one", ""])
    func malformedAuthorizationHeaderIsRejected(_ header: String) async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: [.authorization: header], body: Self.body(["s3Bucket": "test-bucket"]))
            try Self.expectError(response, .unauthorized, code: "AUTHENTICATION_FAILED")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func unauthenticatedStartCreatesNothing() async throws {
        let harness = try Harness()
        try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, body: Self.body(["s3Bucket": "test-bucket"]))
            #expect(response.status == .unauthorized)
        }
        #expect(harness.agent.assignments.isEmpty)
        #expect(try await harness.store.poolCounts().ready == 1)
    }

    @Test func everyConfiguredKeyIsAccepted() async throws {
        try await Harness().test { client in
            for headers in [Self.keyOne, Self.keyTwo, [.authorization: "bearer key-two"]] {
                let response = try await client.execute(uri: "/api/containers", method: .get, headers: headers)
                #expect(response.status == .ok, "body: \(Self.text(response))")
                let body = try Self.json(response)
                #expect(body["total"] as? Int == 0)
                #expect((body["containers"] as? [Any])?.isEmpty == true)
            }
        }
    }

    // MARK: - Start validation

    @Test(arguments: BucketNameTests.invalidNames)
    func invalidBucketIsRejectedBeforeAnythingIsCreated(_ bucket: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(["s3Bucket": bucket]))
            try Self.expectError(response, .badRequest, code: "INVALID_S3_BUCKET", path: "/api/containers/start")
        }
        #expect(harness.engine.createServiceCalls.isEmpty)
        #expect(harness.checker.buckets.isEmpty)
        #expect(try await harness.store.containers(status: nil, limit: 10, offset: 0).total == 0)
    }

    @Test func missingBucketIsRejectedAsInvalidS3Bucket() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(["s3Region": "us-east-1"]))
            try Self.expectError(response, .badRequest, code: "INVALID_S3_BUCKET")
        }
        #expect(harness.engine.createServiceCalls.isEmpty)
    }

    @Test(arguments: ["{not json", "{\"s3Bucket\": \"test-bucket\"", "[]", "{\"s3Bucket\": 5}", "null", "\"test-bucket\""])
    func malformedBodyIsRejectedAsInvalidRequestBody(_ body: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: ByteBuffer(bytes: Array(body.utf8)))
            try Self.expectError(response, .badRequest, code: "INVALID_REQUEST_BODY")
        }
        #expect(harness.engine.createServiceCalls.isEmpty)
    }

    @Test func emptyBodyIsRejectedAsInvalidRequestBody() async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne)
            try Self.expectError(response, .badRequest, code: "INVALID_REQUEST_BODY")
        }
    }

    @Test func halfACredentialPairIsRejected() async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne,
                                                    body: Self.body(["s3Bucket": "test-bucket", "awsSecretAccessKey": "only-the-secret"]))
            try Self.expectError(response, .badRequest, code: "INVALID_REQUEST_BODY")
        }
    }

    @Test func noReadyContainerAndNoRoomToSpawnAnswersResourceLimitExceeded() async throws {
        let harness = try Harness(gate: .forbidding)
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(["s3Bucket": "test-bucket"]))
            try Self.expectError(response, .serviceUnavailable, code: "RESOURCE_LIMIT_EXCEEDED")
            #expect(response.headers[.retryAfter] == "30")
            let message = try #require((try Self.json(response)["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("MAX_MEMORY_PERCENT"))
        }
        #expect(harness.engine.createServiceCalls.isEmpty)
        #expect(harness.agent.assignments.isEmpty)
        #expect(try await harness.store.containers(status: nil, limit: 10, offset: 0).total == 0)
    }

    // MARK: - Start success

    @Test func startAssignsAReadyPoolContainerThenReusesItForTheSameBucket() async throws {
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let first = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne,
                                                 body: Self.body(["s3Bucket": "test-bucket", "userId": "user-1"]))
            #expect(first.status == .created, "body: \(Self.text(first))")
            let body = try Self.json(first)
            #expect(body["id"] as? String == ready.id)
            #expect(body["status"] as? String == "running")
            #expect(body["isPreWarmed"] as? Bool == true)
            #expect(body["isReused"] as? Bool == false)
            #expect((body["urls"] as? [String: Any])?["codeServer"] as? String == "http://localhost/code/\(ready.id)/")

            let second = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne,
                                                  body: Self.body(["s3Bucket": "test-bucket", "userId": "user-1"]))
            #expect(second.status == .ok)
            #expect(try Self.json(second)["id"] as? String == ready.id)
            #expect(try Self.json(second)["isReused"] as? Bool == true)
        }
        #expect(harness.agent.assignments.count == 1)
        #expect(harness.agent.assignments.first?.address == "10.9.8.7")
        #expect(harness.agent.assignments.first?.assignment.bucket == "test-bucket")
        #expect(harness.checker.buckets == ["test-bucket", "test-bucket"])
        #expect(harness.engine.createServiceCalls.isEmpty)
        #expect(try await harness.store.container(ready.id)?.s3Bucket == "test-bucket")
    }

    @Test func concurrentStartsForOneBucketShareOneContainer() async throws {
        let harness = try Harness()
        for _ in 0..<3 { try await harness.insertReadyPoolContainer() }
        let results = try await harness.test { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(["s3Bucket": "shared-bucket"]))
                        return (response.status, try Self.json(response)["id"] as? String)
                    }
                }
                var results: [(HTTPResponse.Status, String?)] = []
                for try await result in group { results.append(result) }
                return results
            }
        }
        #expect(results.filter { $0.0 == .created }.count == 1)
        #expect(results.filter { $0.0 == .ok }.count == 5)
        #expect(Set(results.map(\.1)).count == 1)
        #expect(harness.agent.assignments.count == 1)
        #expect(try await harness.store.poolCounts().ready == 2)
    }

    @Test func concurrentStartsForDifferentBucketsNeverShareAContainer() async throws {
        let harness = try Harness(gate: .forbidding)
        for _ in 0..<3 { try await harness.insertReadyPoolContainer() }
        let results = try await harness.test { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for n in 0..<4 {
                    group.addTask {
                        let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(["s3Bucket": "bucket-\(n)"]))
                        let body = try Self.json(response)
                        return (response.status, body["id"] as? String ?? (body["error"] as? [String: Any])?["code"] as? String)
                    }
                }
                var results: [(HTTPResponse.Status, String?)] = []
                for try await result in group { results.append(result) }
                return results
            }
        }
        let assigned = results.filter { $0.0 == .created }.compactMap(\.1)
        #expect(assigned.count == 3)
        #expect(Set(assigned).count == 3)
        #expect(results.filter { $0.0 == .serviceUnavailable }.map(\.1) == ["RESOURCE_LIMIT_EXCEEDED"])
        #expect(Set(harness.agent.assignments.map(\.assignment.bucket)).count == 3)
        #expect(harness.engine.createServiceCalls.isEmpty)
    }

    @Test func oversizedBodyIsRejectedAsPayloadTooLarge() async throws {
        let harness = try Harness()
        let padding = String(repeating: "x", count: 70 * 1024)
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne,
                                                    body: Self.body(["s3Bucket": "test-bucket", "userId": padding]))
            try Self.expectError(response, .contentTooLarge, code: "PAYLOAD_TOO_LARGE")
        }
        #expect(harness.agent.assignments.isEmpty)
    }

    // MARK: - Secrets

    @Test func secretsInTheRequestNeverAppearInAnyResponse() async throws {
        let secret = "wJalrXUtnFEMI-K7MDENG-TOPSECRET"
        let vnc = "vnc-TOPSECRET-pw"
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        let bodies = try await harness.test { client in
            func start(_ fields: [String: Any]) async throws -> TestResponse {
                try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne, body: Self.body(fields))
            }
            var responses: [TestResponse] = []
            // Refused for the bucket, for half a pair, for a bad region, for a malformed body.
            responses.append(try await start(["s3Bucket": "Bad_Bucket", "awsAccessKeyId": "AKID", "awsSecretAccessKey": secret, "vncPassword": vnc]))
            responses.append(try await start(["s3Bucket": "test-bucket", "awsSecretAccessKey": secret]))
            responses.append(try await start(["s3Bucket": "test-bucket", "s3Region": "US EAST", "awsAccessKeyId": "AKID", "awsSecretAccessKey": secret]))
            responses.append(try await client.execute(uri: "/api/containers/start", method: .post, headers: Self.keyOne,
                                                      body: ByteBuffer(bytes: Array("{\"s3Bucket\":\"test-bucket\",\"awsSecretAccessKey\":\"\(secret)\"".utf8))))
            // Assigned from the pool, then reused.
            let assigned = try await start(["s3Bucket": "test-bucket", "awsAccessKeyId": "AKID", "awsSecretAccessKey": secret, "vncPassword": vnc])
            #expect(assigned.status == .created)
            responses.append(assigned)
            responses.append(try await start(["s3Bucket": "test-bucket", "awsAccessKeyId": "AKID", "awsSecretAccessKey": secret]))
            // A cold start the fake engine cannot make.
            responses.append(try await start(["s3Bucket": "other-bucket", "awsAccessKeyId": "AKID", "awsSecretAccessKey": secret, "vncPassword": vnc]))
            // Everything that reads the store back.
            responses.append(try await client.execute(uri: "/api/containers", method: .get, headers: Self.keyOne))
            responses.append(try await client.execute(uri: "/api/containers/\(ready.id)", method: .get, headers: Self.keyOne))
            responses.append(try await client.execute(uri: "/api/queue", method: .get, headers: Self.keyOne))
            responses.append(try await client.execute(uri: "/api/health", method: .get, headers: Self.keyOne))
            return responses.map(Self.text)
        }

        #expect(bodies.count == 11)
        for body in bodies {
            #expect(!body.contains("TOPSECRET"), "a secret leaked: \(body)")
        }
        let specs = String(decoding: try JSONEncoder().encode(harness.engine.createServiceCalls), as: UTF8.self)
        #expect(harness.engine.createServiceCalls.count == 1)
        #expect(!specs.contains("TOPSECRET"), "a secret reached a service spec")
        // The secret did travel, to the agent only.
        #expect(harness.agent.assignments.first?.assignment.secretAccessKey == secret)
        #expect(harness.agent.assignments.first?.assignment.vncPassword == vnc)
    }

    // MARK: - Listing and lookup

    @Test(arguments: ["status=bogus", "status=READY", "limit=0", "limit=501", "limit=ten", "offset=-1", "offset=x"])
    func badListQueryIsRejectedAsInvalidQuery(_ query: String) async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/api/containers?\(query)", method: .get, headers: Self.keyOne)
            try Self.expectError(response, .badRequest, code: "INVALID_QUERY", path: "/api/containers")
        }
    }

    @Test func listFiltersByStatusAndPages() async throws {
        let harness = try Harness()
        for _ in 0..<3 { try await harness.insertReadyPoolContainer() }
        try await harness.test { client in
            let page = try Self.json(try await client.execute(uri: "/api/containers?status=ready&limit=2&offset=0", method: .get, headers: Self.keyOne))
            #expect(page["total"] as? Int == 3)
            #expect((page["containers"] as? [Any])?.count == 2)
            #expect(page["limit"] as? Int == 2)
            let none = try Self.json(try await client.execute(uri: "/api/containers?status=running", method: .get, headers: Self.keyOne))
            #expect(none["total"] as? Int == 0)
        }
    }

    @Test func detailOfAKnownContainerShowsItsEvents() async throws {
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/\(ready.id)", method: .get, headers: Self.keyOne)
            #expect(response.status == .ok)
            let body = try Self.json(response)
            #expect(body["id"] as? String == ready.id)
            #expect(body["status"] as? String == "ready")
            #expect((body["events"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["created", "service_created", "ready"])
        }
    }

    @Test func unknownContainerIsNotFoundForGetAndDelete() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for method in [HTTPRequest.Method.get, .delete] {
                let response = try await client.execute(uri: "/api/containers/doesnotexist0000", method: method, headers: Self.keyOne)
                try Self.expectError(response, .notFound, code: "CONTAINER_NOT_FOUND", path: "/api/containers/doesnotexist0000")
            }
        }
        #expect(!harness.engine.calls.contains { $0.hasPrefix("removeService") })
    }

    @Test func deleteStopsAContainerAndRemovesItsService() async throws {
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/\(ready.id)", method: .delete, headers: Self.keyOne)
            #expect(response.status == .ok)
            #expect(try Self.json(response)["status"] as? String == "stopped")
            let again = try await client.execute(uri: "/api/containers/\(ready.id)", method: .delete, headers: Self.keyOne)
            #expect(again.status == .ok)
        }
        #expect(harness.engine.calls.filter { $0 == "removeService svc-\(ready.id)" }.count == 1)
        #expect(try await harness.store.container(ready.id)?.shutdownReason == .manual)
    }

    @Test func deleteOfAFailedContainerSaysItHadFailedAndChangesNothing() async throws {
        let harness = try Harness()
        let ready = try await harness.insertReadyPoolContainer()
        try #require(try await harness.store.transition(ready.id, from: [.ready], to: .failed, kind: "failed", reason: "test") != nil)
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/\(ready.id)", method: .delete, headers: Self.keyOne)
            #expect(response.status == .ok)
            let body = try Self.json(response)
            #expect(body["status"] as? String == "failed")
            #expect((body["message"] as? String)?.contains("already failed") == true, "\(body)")
        }
        #expect(try await harness.store.container(ready.id)?.status == .failed)
        #expect(try await harness.store.container(ready.id)?.shutdownReason == nil)
    }

    @Test(arguments: [
        ("/nope", HTTPRequest.Method.get), ("/api/nope", .get), ("/api/containers/x/y/z", .put), ("/live/more", .post),
    ])
    func unknownRouteIsNotFound(_ path: String, _ method: HTTPRequest.Method) async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: path, method: method, headers: Self.keyOne)
            try Self.expectError(response, .notFound, code: "NOT_FOUND", path: path)
        }
    }

    // MARK: - Public routes

    @Test func liveAnswersWithoutAKey() async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/live", method: .get)
            #expect(response.status == .ok)
            #expect(try Self.json(response)["status"] as? String == "ok")
        }
    }

    @Test func readyAnswersWithoutAKey() async throws {
        try await Harness().test { client in
            let response = try await client.execute(uri: "/ready", method: .get)
            #expect(response.status == .ok)
            #expect(try Self.json(response)["status"] as? String == "ready")
        }
    }

    @Test func healthAnswersWithItsFiguresToTheKeyWhenSpawningIsAllowed() async throws {
        let harness = try Harness()
        try await harness.insertReadyPoolContainer()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/health", method: .get, headers: Self.keyOne)
            #expect(response.status == .ok)
            let body = try Self.json(response)
            #expect(body["status"] as? String == "ok")
            #expect((body["engine"] as? [String: Any])?["version"] as? String == "fake-1.0")
            #expect((body["pool"] as? [String: Any])?["ready"] as? Int == 1)
            #expect((body["resources"] as? [String: Any])?["spawnAllowed"] as? Bool == true)
        }
    }

    @Test func healthIsUnavailableWithTheReasonWhenSpawningIsForbidden() async throws {
        try await Harness(gate: .forbidding).test { client in
            let response = try await client.execute(uri: "/api/health", method: .get, headers: Self.keyOne)
            #expect(response.status == .serviceUnavailable)
            let body = try Self.json(response)
            #expect(body["status"] as? String == "degraded")
            let resources = try #require(body["resources"] as? [String: Any])
            #expect(resources["spawnAllowed"] as? Bool == false)
            #expect((resources["reason"] as? String)?.contains("MAX_MEMORY_PERCENT") == true)
        }
    }

    @Test func queueNeedsAKey() async throws {
        try await Harness().test { client in
            try Self.expectError(try await client.execute(uri: "/api/queue", method: .get), .unauthorized, code: "AUTHENTICATION_FAILED")
            let response = try await client.execute(uri: "/api/queue", method: .get, headers: Self.keyOne)
            #expect(response.status == .ok)
            #expect(try Self.json(response)["target"] as? Int == 0)
        }
    }

    // MARK: - Rate limit

    @Test func rateLimitAppliesPerKey() async throws {
        try await Harness(["RATE_LIMIT_PER_MINUTE": "3"]).test { client in
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/api/containers", method: .get, headers: Self.keyOne).status == .ok)
            }
            let limited = try await client.execute(uri: "/api/containers", method: .get, headers: Self.keyOne)
            try Self.expectError(limited, .tooManyRequests, code: "RATE_LIMITED")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))

            #expect(try await client.execute(uri: "/api/containers", method: .get, headers: Self.keyTwo).status == .ok)
            // Routes outside the key-protected group are not limited.
            #expect(try await client.execute(uri: "/live", method: .get).status == .ok)
        }
    }

    @Test func rejectedKeysDoNotConsumeTheLimit() async throws {
        try await Harness(["RATE_LIMIT_PER_MINUTE": "1"]).test { client in
            for _ in 0..<5 {
                let rejected = try await client.execute(uri: "/api/containers", method: .get, headers: [.authorization: "Bearer wrong"])
                #expect(rejected.status == .unauthorized)
            }
            let accepted = try await client.execute(uri: "/api/containers", method: .get, headers: Self.keyOne)
            #expect(accepted.status == .ok)
        }
    }
}
