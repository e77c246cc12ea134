import Foundation
import Testing
@testable import IDEOrchestrator

/// Contract v2 on the service's side: image labels (agent port, kept prefixes), the new service
/// environment, the assignment's new fields, the start request's workspace prefix, and the
/// agent's sync state through health rounds, the API and the metrics.
@Suite struct WorkspaceContractTests {
    static let id = "abc123def456ghi7"
    static let referenceLabels = [
        "ide-orchestrator.contract-version": "2", "ide-orchestrator.agent-port": "3100",
        "ide-orchestrator.route.code.keep-prefix": "true", "ide-orchestrator.route.vnc.keep-prefix": "true",
        "ide-orchestrator.route.web.keep-prefix": "false",
    ]

    func lab(_ environment: [String: String] = [:], swarm: FakeSwarm = FakeSwarm(), agent: FakeAgent = FakeAgent()) throws -> (Orchestrator, FakeSwarm, FakeAgent) {
        let orchestrator = Orchestrator.make(
            settings: try testSettings(environment), store: try AppDatabase.inMemory(), engine: swarm, agent: agent,
            resources: FixedResourceGate.allowing, reach: FakeReach(), logger: quietLogger()
        )
        return (orchestrator, swarm, agent)
    }

    // MARK: - Image labels

    @Test func labelsDeclareTheAgentPortAndTheRoutesThatKeepTheirPrefix() {
        let contract = ImageContract(labels: Self.referenceLabels)
        #expect(contract.agentPort == 3100)
        #expect(contract.keepPrefix == ["code", "vnc"])
        #expect(ImageContract(labels: nil) == .legacy)
        #expect(ImageContract.legacy.agentPort == 3000)
    }

    @Test(arguments: ["", "0", "65536", "-1", "30x0", "port"])
    func anAgentPortLabelThatDoesNotParseIsIgnored(label: String) {
        #expect(ImageContract(labels: ["ide-orchestrator.agent-port": label]).agentPort == 3000)
    }

    @Test func onlyTrueKeepsAPrefix() {
        let contract = ImageContract(labels: ["ide-orchestrator.route.code.keep-prefix": "yes", "ide-orchestrator.route.vnc.keep-prefix": "TRUE",
                                              "ide-orchestrator.route.agent.keep-prefix": "true"])
        #expect(contract.keepPrefix == ["vnc"])
    }

    @Test func anImageWithoutLabelsGetsExactlyTodaysServiceLabels() throws {
        let settings = try testSettings()
        let blueprint = ServiceBlueprint(settings: settings)
        let unlabelled = blueprint.spec(for: Self.id, pooled: true, contract: ImageContract(labels: nil)).labels
        var expected = RoutePlanTests().expectedLabels(id: Self.id, network: settings.traefikNetwork, publicDomain: nil, resolver: nil)
        expected[ServiceBlueprint.managedLabel] = "true"
        expected[ServiceBlueprint.idLabel] = Self.id
        expected[ServiceBlueprint.pooledLabel] = "true"
        expected[ServiceBlueprint.instanceLabel] = settings.instanceName
        #expect(unlabelled == expected)
    }

    @Test func routesOfAnImageThatKeepsPrefixesHaveNoStripMiddlewareAndTheAgentIsNeverRouted() throws {
        let settings = try testSettings()
        let labels = ServiceBlueprint(settings: settings).spec(for: Self.id, pooled: false, contract: ImageContract(labels: Self.referenceLabels)).labels
        for route in ["code", "vnc"] {
            #expect(labels["traefik.http.routers.ide-\(Self.id)-\(route).middlewares"] == "ide-\(Self.id)-\(route)-auth,ide-\(Self.id)-\(route)-headers")
            #expect(labels["traefik.http.middlewares.ide-\(Self.id)-\(route)-strip.stripprefix.prefixes"] == nil)
            #expect(labels["traefik.http.routers.ide-\(Self.id)-\(route).rule"] == "PathPrefix(`/\(route)/\(Self.id)`)")
        }
        #expect(labels["traefik.http.routers.ide-\(Self.id)-web.middlewares"] == "ide-\(Self.id)-web-auth,ide-\(Self.id)-web-headers,ide-\(Self.id)-web-strip")
        #expect(labels["traefik.http.middlewares.ide-\(Self.id)-web-strip.stripprefix.prefixes"] == "/web/\(Self.id)")
        let ports = labels.filter { $0.key.hasSuffix(".loadbalancer.server.port") }.values.sorted()
        #expect(ports == ["3000", "6080", "8080"], "the agent's port 3100 is never routed")
        #expect(labels[ServiceBlueprint.agentPortLabel] == "3100")
    }

    @Test func theServiceGetsWebBasePathAndAStopGraceBeyondTheFlushTimeout() throws {
        let spec = ServiceBlueprint(settings: try testSettings(["WORKSPACE_FLUSH_TIMEOUT": "20s"])).spec(for: Self.id, pooled: true)
        let env = try #require(spec.taskTemplate.containerSpec.env)
        #expect(env.contains("WEB_BASE_PATH=/web/\(Self.id)"))
        #expect(env.contains("CODE_BASE_PATH=/code/\(Self.id)") && env.contains("VNC_BASE_PATH=/vnc/\(Self.id)"))
        #expect(spec.taskTemplate.containerSpec.stopGracePeriod == 35_000_000_000)
        let byDefault = ServiceBlueprint(settings: try testSettings()).spec(for: Self.id, pooled: true)
        #expect(byDefault.taskTemplate.containerSpec.stopGracePeriod == 75_000_000_000)
    }

    @Test func theLaunchReadsTheLabelsFromTheImageInspectItAlreadyMakesAndEveryAgentCallUsesThePort() async throws {
        let (orchestrator, swarm, agent) = try lab()
        swarm.setImageLabels(Self.referenceLabels)
        let result = try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-one"))
        #expect(result.record.agentPort == 3100)
        #expect(try await orchestrator.store.container(result.record.id)?.agentPort == 3100)
        #expect(agent.ports.allSatisfy { $0 == 3100 } && !agent.ports.isEmpty)
        #expect(swarm.journal.filter { $0.hasPrefix("create service") }.count == 1)
        let spec = try #require(swarm.spec(named: result.record.serviceName))
        #expect(spec.labels[ServiceBlueprint.agentPortLabel] == "3100")
        try await orchestrator.stopper.stop(result.record.id, reason: .manual, detail: "test")
        #expect(agent.flushes.map(\.port) == [3100])
    }

    @Test func aLegacyImageKeepsTheAgentOn3000() async throws {
        let (orchestrator, _, agent) = try lab()
        let result = try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-one"))
        #expect(result.record.agentPort == 3000)
        #expect(agent.ports.allSatisfy { $0 == 3000 })
    }

    @Test func theProbeChecksTheWebPortPlainlyAndTheAgentOnItsOwnPort() async throws {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 200, body: Data(#"{"status":"ok","assigned":false}"#.utf8)))
        let probe = HTTPHealthProbe(http: http, agent: HTTPAgentClient(http: http, timeout: .seconds(1)), timeout: .seconds(1))
        let report = await probe.check(address: "10.0.0.5", agentPort: 3100, containerId: "c1")
        #expect(report.ports == ["agent": true, "code": true, "vnc": true, "web": true])
        let targets = Set(http.requests.compactMap { request -> String? in
            guard case .tcp(let base) = request.endpoint else { return nil }
            return base + request.path
        })
        #expect(targets == ["http://10.0.0.5:3100/health", "http://10.0.0.5:8080/", "http://10.0.0.5:6080/", "http://10.0.0.5:3000/"])
    }

    // MARK: - Workspace prefix

    @Test(arguments: ["courses/cs101/alice/", "alice", "a/b/c", "x_y-z.1/(copy)/it's*!"])
    func aRelativeKeyPrefixIsAccepted(prefix: String) throws {
        #expect(try WorkspacePrefix.validated(prefix) == prefix)
    }

    @Test(arguments: ["/abs", "a/../b", "..", "a/./b", "a//b", "tab\there", "new\nline", "sp ace", "a\\b", "é", String(repeating: "a", count: 513), "q?x", "h#x"])
    func anUnsafePrefixIsRefusedWithItsOwnCode(prefix: String) {
        let error = #expect(throws: APIError.self) { try WorkspacePrefix.validated(prefix) }
        #expect(error?.code == "INVALID_WORKSPACE_PREFIX")
        #expect(error?.status == .badRequest)
        #expect(error?.message.hasPrefix("workspacePrefix must be a relative S3 key prefix") == true)
    }

    @Test func anAbsentOrEmptyPrefixMeansTheWholeBucket() throws {
        #expect(try WorkspacePrefix.validated(nil) == nil)
        #expect(try WorkspacePrefix.validated("") == nil)
    }

    @Test func thePrefixIsStoredSentToTheAgentAndKeptOutOfBucketOwnership() async throws {
        let (orchestrator, _, agent) = try lab()
        let first = try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-one", userId: "u1", workspacePrefix: "courses/cs101/"))
        #expect(first.record.workspacePrefix == "courses/cs101/")
        #expect(agent.assignments.last?.assignment.workspacePrefix == "courses/cs101/")
        // The same bucket with another prefix is the same bucket: its container is reused.
        let again = try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-one", userId: "u1", workspacePrefix: "other/"))
        #expect(again.isReused && again.record.id == first.record.id)
        #expect(again.record.workspacePrefix == "courses/cs101/")
        await #expect(throws: APIError.self) { try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-two", workspacePrefix: "../up")) }
    }

    // MARK: - Assignment fields

    @Test func theAssignmentCarriesTheWorkspaceEndpointOrNoneForAWS() async throws {
        let cases: [([String: String], String?)] = [
            ([:], nil),
            (["WORKSPACE_S3_ENDPOINT": "http://moto:5000/"], "http://moto:5000"),
            (["S3_ENDPOINT": "http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"], "http://127.0.0.1:5000"),
            (["S3_ENDPOINT": "http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "WORKSPACE_S3_ENDPOINT": "http://s3.internal:9000"], "http://s3.internal:9000"),
        ]
        for (environment, expected) in cases {
            let settings = try testSettings(environment)
            #expect(settings.workspace.s3Endpoint == expected, "\(environment)")
        }
        let (orchestrator, _, agent) = try lab(["WORKSPACE_S3_ENDPOINT": "http://moto:5000"])
        _ = try await orchestrator.claims.start(StartRequest(s3Bucket: "bucket-one"))
        #expect(agent.assignments.last?.assignment.s3Endpoint == "http://moto:5000")
    }

    @Test func fieldsWithoutValueAreLeftOutOfTheAssignment() throws {
        let plain = AgentAssignment(bucket: "b", region: "us-east-1", containerId: "c")
        let json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("s3Endpoint") && !json.contains("workspacePrefix") && !json.contains("credentialsExpireAt"))
        let full = AgentAssignment(bucket: "b", region: "us-east-1", containerId: "c", s3Endpoint: "http://m:5000", workspacePrefix: "p/",
                                   credentialsExpireAt: Timestamp.string(Date(timeIntervalSince1970: 1_800_000_000)))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(full)) as? [String: Any])
        #expect(object["s3Endpoint"] as? String == "http://m:5000")
        #expect(object["workspacePrefix"] as? String == "p/")
        #expect(object["credentialsExpireAt"] as? String == "2027-01-15T08:00:00.000Z")
    }

    @Test func stsCredentialsCarryTheirExpiry() async throws {
        var aws = try testSettings(AssignmentCredentialsTests.service.merging(["AWS_ASSIGNMENT_ROLE_ARN": AssignmentCredentialsTests.role]) { a, _ in a }).aws
        aws.assignmentDuration = .seconds(900)
        let before = Date()
        let issued = try await AssignmentCredentials(aws: aws, sts: FakeSTS()).resolve(nil, bucket: "ws-1")
        let expiry = try #require(issued?.expiration)
        #expect(expiry >= before.addingTimeInterval(899) && expiry <= Date().addingTimeInterval(901))
        let given = S3Credentials(accessKeyId: "AKIAGIVEN", secretAccessKey: "given")
        #expect(try await AssignmentCredentials(aws: aws, sts: FakeSTS()).resolve(given, bucket: "ws-1")?.expiration == nil)
        #expect(CurlSTSClient.element("Expiration", in: "<Expiration>2026-12-06T03:00:00Z</Expiration>").flatMap(RFC3339.date) != nil)
    }

    // MARK: - Settings

    @Test(arguments: [("WORKSPACE_FLUSH_TIMEOUT", "0s"), ("WORKSPACE_FLUSH_TIMEOUT", "1h"), ("WORKSPACE_FLUSH_TIMEOUT", "soon"),
                      ("WORKSPACE_S3_ENDPOINT", "moto:5000"), ("WORKSPACE_S3_ENDPOINT", "ftp://x"), ("WORKSPACE_S3_ENDPOINT", "http://a b")])
    func badWorkspaceSettingsAreRefusedByName(variable: String, value: String) {
        let error = #expect(throws: SettingsError.self) { try testSettings([variable: value]) }
        #expect(error?.variable == variable)
    }

    @Test func workspaceSettingsHaveTheirDefaults() throws {
        let settings = try testSettings()
        #expect(settings.workspace.flushTimeout == .seconds(60))
        #expect(settings.workspace.s3Endpoint == nil)
        #expect(try testSettings(["WORKSPACE_FLUSH_TIMEOUT": "90s"]).workspace.flushTimeout == .seconds(90))
    }
}
