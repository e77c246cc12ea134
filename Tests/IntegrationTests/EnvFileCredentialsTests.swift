import Foundation
import Testing
@testable import IDEOrchestrator

/// The original orchestrator's operators: a `.env` file, its names, and credentials for the
/// workspace sync, against the real Swarm, the real binary and moto's SigV4-checking STS and S3.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct EnvFileCredentialsTests {
    @Test func dotEnvLimitsAliasesAndTheServicesCredentialsReachSwarmAndAgent() async throws {
        let secret = "svc-secret-\(UUID().uuidString)", token = "svc-token-\(UUID().uuidString)"
        let envFile = """
            # as an operator of the original orchestrator writes it
            CONTAINER_MEMORY_LIMIT=96MB
            CONTAINER_RESTART_POLICY=any
            CONTAINER_RESTART_MAX_ATTEMPTS=7
            AWS_ACCESS_KEY_ID=AKIATESTSERVICE
            AWS_SECRET_ACCESS_KEY="\(secret)"
            AWS_SESSION_TOKEN=\(token)
            """
        // Empty values unset the harness defaults so the file shows through; the real environment
        // still wins for CONTAINER_RESTART_MAX_ATTEMPTS, and gives the CPU limit by its alias.
        let overrides = ["PRE_WARMED_QUEUE_SIZE": "1", "CONTAINER_MEMORY_LIMIT": "", "CONTAINER_CPU_LIMIT": "",
                         "RESOURCE_CPU_LIMIT": "0.25", "CONTAINER_RESTART_MAX_ATTEMPTS": "2"]
        try await ServiceProcess.run(overrides, envFile: envFile) { service in
            try await service.waitForReady(1)
            let started = try await service.start(bucket: "dotenv-bucket")
            #expect(started.status == 201, "\(started.text)")
            let id = try #require(started.json["id"] as? String)

            let spec = try await TestEnvironment.engine().service("ide-\(id)").spec
            #expect(spec.taskTemplate.resources?.limits?.memoryBytes == 96 << 20, "the .env limit reaches the Swarm spec")
            #expect(spec.taskTemplate.resources?.limits?.nanoCPUs == 250_000_000, "RESOURCE_CPU_LIMIT reaches the Swarm spec")
            #expect(spec.taskTemplate.restartPolicy?.condition == "any")
            #expect(spec.taskTemplate.restartPolicy?.maxAttempts == 2, "the environment wins over the file")

            let detail = try await service.call("GET", "/api/containers/\(id)")
            let address = try #require(detail.json["taskAddress"] as? String)
            let request = try #require(try await agentAssignment(address: address, token: service.agentToken(for: id))["request"] as? [String: Any])
            #expect(request["accessKeyId"] as? String == "AKIATESTSERVICE")
            #expect(request["secretAccessKey"] as? String == secret)
            #expect(request["sessionToken"] as? String == token)
            #expect(service.log().contains("receives the service's own AWS credentials"))

            let responses = [started.text, detail.text] + (try await Self.readBack(service))
            try await Self.expectNowhere([secret, token], in: service, id: id, responses: responses)
        }
    }

    @Test func aRoleGivesTheAgentSTSCredentialsLimitedToTheBucket() async throws {
        try await MotoS3.run(buckets: ["sts-bucket"]) { moto in
            // Moto checks SigV4 on STS too: a wrong secret is refused.
            let wrong = CurlSTSClient(endpoint: moto.endpoint, region: moto.region, credentials: S3Credentials(accessKeyId: moto.accessKeyId, secretAccessKey: "wrong"))
            let refused = await #expect(throws: STSError.self) {
                try await wrong.assumeRole(AssumeRoleRequest(roleARN: moto.roleArn, sessionName: "ide-wrong", policy: SessionPolicy.document(bucket: "sts-bucket", roleARN: moto.roleArn), duration: .seconds(900)))
            }
            #expect(refused?.code == "SignatureDoesNotMatch")

            let settings = moto.settings().merging([
                "PRE_WARMED_QUEUE_SIZE": "1", "AWS_ASSIGNMENT_ROLE_ARN": moto.roleArn,
                "AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_ASSIGNMENT_DURATION": "15m",
            ]) { _, new in new }
            try await ServiceProcess.run(settings) { service in
                try await service.waitForReady(1)
                // The bucket check is signed with the STS credentials (moto wants their session token).
                let started = try await service.start(bucket: "sts-bucket")
                #expect(started.status == 201, "\(started.text)")
                let id = try #require(started.json["id"] as? String)
                let detail = try await service.call("GET", "/api/containers/\(id)")
                let address = try #require(detail.json["taskAddress"] as? String)
                let request = try #require(try await agentAssignment(address: address, token: service.agentToken(for: id))["request"] as? [String: Any])
                let keyId = try #require(request["accessKeyId"] as? String)
                let secret = try #require(request["secretAccessKey"] as? String)
                let token = try #require(request["sessionToken"] as? String)
                #expect(keyId.hasPrefix("ASIA") && keyId != moto.accessKeyId, "temporary, not the service's key")
                #expect(!secret.isEmpty && secret != moto.secretAccessKey && !token.isEmpty)

                let sessions = try await moto.assumedRoles()
                #expect(sessions.count == 1)
                let session = try #require(sessions.first { $0["access_key_id"] as? String == keyId })
                #expect(session["role_arn"] as? String == moto.roleArn)
                #expect(session["session_name"] as? String == "ide-sts-bucket")
                #expect(session["session_token"] as? String == token)
                let policy = try PolicyDocument(try #require(session["policy"] as? String))
                #expect(policy.resources == ["arn:aws:s3:::sts-bucket", "arn:aws:s3:::sts-bucket/*"], "the session policy names only the bucket")
                #expect(policy.actions(on: "arn:aws:s3:::sts-bucket").contains("s3:ListBucket"))
                #expect(service.log().contains("temporary credentials limited to their bucket"))

                let responses = [started.text, detail.text] + (try await Self.readBack(service))
                try await Self.expectNowhere([secret, token, moto.secretAccessKey], in: service, id: id, responses: responses)
            }
        }
    }

    /// Everything the API can say about the service's containers.
    static func readBack(_ service: ServiceProcess) async throws -> [String] {
        var texts: [String] = []
        for path in ["/api/containers?limit=500", "/api/queue"] { texts.append(try await service.call("GET", path).text) }
        texts.append(try await service.call("GET", "/api/health").text)
        return texts
    }

    /// No secret in the log, the database file, the responses, or the engine's inspect JSON of
    /// the service and its tasks (what `docker service inspect` and `docker inspect` print).
    static func expectNowhere(_ secrets: [String], in service: ServiceProcess, id: String, responses: [String]) async throws {
        let http = CurlHTTPClient(), engine = try TestEnvironment.endpoint()
        let filter = "{\"service\":[\"ide-\(id)\"]}".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        var inspected = ""
        for path in ["/v1.41/services/ide-\(id)", "/v1.41/tasks?filters=\(filter)"] {
            inspected += String(decoding: try await http.execute(HTTPClientRequest(endpoint: engine, path: path)).body, as: UTF8.self)
        }
        #expect(inspected.contains("ide-\(id)"), "the inspect JSON was read")
        let places = ["log": service.log(), "database": service.databaseBytes(), "responses": responses.joined(), "inspect": inspected]
        #expect(!places["log"]!.isEmpty && !places["database"]!.isEmpty)
        for (place, text) in places {
            for secret in secrets { #expect(!text.contains(secret), "a secret appears in the \(place)") }
        }
    }
}

/// The statements of an IAM policy document as moto stored it.
struct PolicyDocument {
    let statements: [[String: Any]]

    init(_ json: String) throws {
        statements = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["Statement"] as? [[String: Any]] ?? []
    }

    /// Every resource named, sorted.
    var resources: [String] { statements.flatMap { Self.strings($0["Resource"]) }.sorted() }

    func actions(on resource: String) -> Set<String> {
        Set(statements.filter { Self.strings($0["Resource"]).contains(resource) }.flatMap { Self.strings($0["Action"]) })
    }

    static func strings(_ value: Any?) -> [String] {
        (value as? [String]) ?? [(value as? String)].compactMap { $0 }
    }
}
