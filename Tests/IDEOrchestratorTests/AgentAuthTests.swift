import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 8, items 1 and 2: agent tokens (derivation, key file, the secret's lifecycle, the
/// header on every agent call) and the least-privilege service spec.
@Suite struct AgentAuthTests {
    static let key = Data(String(repeating: "k", count: 32).utf8)

    /// An orchestrator over the in-memory Swarm with agent tokens on (or off).
    struct Lab {
        let swarm = FakeSwarm()
        let store: AppDatabase
        let tokens: AgentTokens
        let orchestrator: Orchestrator

        init(tokens: AgentTokens = AgentTokens(key: AgentAuthTests.key)) throws {
            store = try AppDatabase.inMemory()
            self.tokens = tokens
            orchestrator = Orchestrator.make(
                settings: try testSettings(), store: store, engine: swarm, agent: FakeAgent(), resources: FixedResourceGate.allowing,
                tokens: tokens, reach: FakeReach(), logger: quietLogger()
            )
        }

        func launch() async throws -> ContainerRecord {
            try await orchestrator.launcher.start(try await orchestrator.launcher.newRecord(pooled: true))
        }

        func spec(of record: ContainerRecord) async throws -> ServiceSpec {
            try await swarm.service(record.serviceName).spec
        }

        func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("timed out waiting for \(what)")
        }
    }

    // MARK: - Tokens and the key file

    @Test func theTokenIsTheHexHMACSHA256OfTheContainerIdUnderTheKey() {
        // RFC 4231, test case 2.
        let tokens = AgentTokens(key: Data("Jefe".utf8))
        #expect(tokens.token(for: "what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let ours = AgentTokens(key: Self.key)
        #expect(ours.token(for: "aaaaaaaaaaaaaaaa") != ours.token(for: "aaaaaaaaaaaaaaab"))
        #expect(ours.token(for: "aaaaaaaaaaaaaaaa") != AgentTokens(key: Data(String(repeating: "j", count: 32).utf8)).token(for: "aaaaaaaaaaaaaaaa"))
        #expect(AgentTokens.disabled.token(for: "aaaaaaaaaaaaaaaa") == nil)
    }

    @Test func theKeyFileIsMadeOnceWithMode0600AndGivesTheSameTokensAfterARestart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try testSettings(["DATABASE_PATH": directory.appendingPathComponent("db/containers.db").path])
        #expect(settings.agentTokenKeyFile == directory.appendingPathComponent("db/agent-token.key").path)

        let first = try AgentTokens.load(settings: settings)
        let contents = try String(contentsOfFile: settings.agentTokenKeyFile, encoding: .utf8)
        #expect(contents.count == 65 && contents.hasSuffix("\n") && contents.dropLast().allSatisfy(\.isHexDigit))
        let mode = try FileManager.default.attributesOfItem(atPath: settings.agentTokenKeyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let second = try AgentTokens.load(settings: settings)
        #expect(first.isEnabled && first.token(for: "abcdefghijklmnop") == second.token(for: "abcdefghijklmnop"))
        #expect(try String(contentsOfFile: settings.agentTokenKeyFile, encoding: .utf8) == contents, "the key is never replaced")
    }

    @Test func aKeyFileWithTooShortAKeyStopsTheStart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("short-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "short\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AgentTokenKeyError.self) { try AgentTokens.load(settings: try testSettings(["AGENT_TOKEN_KEY_FILE": path])) }
    }

    @Test func agentAuthOffMeansNoTokensAndNoKeyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-key-\(UUID().uuidString)").path
        let tokens = try AgentTokens.load(settings: try testSettings(["AGENT_AUTH": "false", "AGENT_TOKEN_KEY_FILE": path]))
        #expect(!tokens.isEnabled)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: SettingsError.self) { try testSettings(["AGENT_AUTH": "maybe"]) }
    }

    // MARK: - The header

    @Test func everyAgentCallCarriesItsContainersTokenAndOnlyAgentCalls() async throws {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 200, body: Data(#"{"status":"success","assigned":false}"#.utf8)))
        let tokens = AgentTokens(key: Self.key)
        let agent = HTTPAgentClient(http: http, tokens: tokens, timeout: .seconds(1))
        _ = await agent.health(address: "10.0.0.1", port: 3000, containerId: "container-one-id")
        try await agent.assign(address: "10.0.0.2", port: 3000, assignment: AgentAssignment(bucket: "b", region: "us-east-1", containerId: "container-two-id"))
        _ = await HTTPHealthProbe(http: http, agent: agent, timeout: .seconds(1)).check(address: "10.0.0.3", agentPort: 3000, containerId: "container-3-id")

        let requests = http.requests
        func authorization(_ request: HTTPClientRequest) -> [String] { request.headers.filter { $0.name == "Authorization" }.map(\.value) }
        #expect(authorization(requests[0]) == ["Bearer \(tokens.token(for: "container-one-id")!)"])
        #expect(authorization(requests[1]) == ["Bearer \(tokens.token(for: "container-two-id")!)"])
        let probeAgent = try #require(requests.first { $0.path == "/health" && $0.endpoint == .tcp(baseURL: "http://10.0.0.3:3000") })
        #expect(authorization(probeAgent) == ["Bearer \(tokens.token(for: "container-3-id")!)"])
        // The port probes are user traffic: the token never goes there.
        #expect(requests.filter { $0.path == "/" }.count == 3)
        #expect(requests.filter { $0.path == "/" }.allSatisfy { authorization($0).isEmpty })
    }

    @Test func withTokensOffNoHeaderIsSent() async throws {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 200, body: Data(#"{"status":"success"}"#.utf8)))
        let agent = HTTPAgentClient(http: http, tokens: .disabled, timeout: .seconds(1))
        _ = await agent.health(address: "10.0.0.1", port: 3000, containerId: "container-one-id")
        try await agent.assign(address: "10.0.0.1", port: 3000, assignment: AgentAssignment(bucket: "b", region: "us-east-1", containerId: "container-one-id"))
        #expect(http.requests.count == 2)
        #expect(http.requests.allSatisfy { request in !request.headers.contains { $0.name == "Authorization" } })
    }

    // MARK: - The secret's lifecycle

    @Test func theSecretIsCreatedBeforeTheServiceMountedForTheAgentAndRemovedAfterTheService() async throws {
        let lab = try Lab()
        let record = try await lab.launch()
        let secretName = "ide-\(record.id)-agent-token"
        #expect(lab.swarm.journal == ["create secret \(secretName)", "create service \(record.serviceName)"])
        #expect(lab.swarm.secretData[secretName] == Data(lab.tokens.token(for: record.id)!.utf8))

        let spec = try await lab.spec(of: record)
        let reference = try #require(spec.taskTemplate.containerSpec.secrets?.first)
        #expect(spec.taskTemplate.containerSpec.secrets?.count == 1)
        #expect(reference.file == .init(name: "ide-agent-token", uid: "0", gid: "0", mode: 0o400))
        #expect(reference.secretName == secretName)
        let secret = try #require(try await lab.swarm.secrets(labels: [:]).first)
        #expect(secret.spec.labels == [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: record.id, ServiceBlueprint.instanceLabel: "ide-orchestrator"])
        let token = lab.tokens.token(for: record.id)!
        let specText = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(!specText.contains(token), "the token is in no label and no environment")

        try await lab.orchestrator.stopper.stop(record.id, reason: .manual, detail: "test")
        #expect(lab.swarm.journal.suffix(2) == ["remove service \(record.serviceName)", "remove secret \(secretName)"])
        #expect(lab.swarm.secretData.isEmpty)
    }

    @Test func aFailedContainersSecretGoesWithItsService() async throws {
        let lab = try Lab()
        let record = try await lab.launch()
        #expect(await lab.orchestrator.launcher.fail(record.id, expected: [.ready], serviceId: nil, reason: "test"))
        try await lab.eventually("the secret to go") { lab.swarm.secretData.isEmpty }
        #expect(lab.swarm.journal.suffix(2) == ["remove service \(record.serviceName)", "remove secret ide-\(record.id)-agent-token"])
    }

    @Test func anExistingSecretOfOursIsReusedAndAForeignOneRefused() async throws {
        let lab = try Lab()
        let record = try await lab.orchestrator.launcher.newRecord(pooled: true)
        let name = AgentSecrets.name(for: record.id)
        let planted = lab.swarm.plantSecret(name: name, labels: lab.orchestrator.launcher.secrets.labels(for: record.id), createdAt: Date())
        let ready = try await lab.orchestrator.launcher.start(record)
        #expect(try await lab.spec(of: ready).taskTemplate.containerSpec.secrets?.first?.secretID == planted)
        #expect(!lab.swarm.journal.contains("create secret \(name)") || lab.swarm.secretData.count == 1)

        let other = try await lab.orchestrator.launcher.newRecord(pooled: true)
        lab.swarm.plantSecret(name: AgentSecrets.name(for: other.id), labels: ["someone": "else"], createdAt: Date())
        await #expect(throws: LaunchError.self) { try await lab.orchestrator.launcher.start(other) }
        #expect(try await lab.store.container(other.id)?.status == .failed)
        #expect(!lab.swarm.serviceNames.contains(other.serviceName), "no service without its secret")
        await lab.orchestrator.launcher.secrets.remove(for: other.id)
        #expect(lab.swarm.secretData[AgentSecrets.name(for: other.id)] != nil, "a secret that is not ours is never removed")
    }

    @Test func theReconcilerRemovesOrphanedSecretsOfItsInstanceAfterTheGracePeriod() async throws {
        let lab = try Lab()
        let live = try await lab.launch()
        let ours = lab.orchestrator.launcher.secrets
        let hourAgo = Date().addingTimeInterval(-3600)
        let orphan = "bbbbbbbbbbbbbbbb", young = "cccccccccccccccc", foreign = "dddddddddddddddd"
        lab.swarm.plantSecret(name: AgentSecrets.name(for: orphan), labels: ours.labels(for: orphan), createdAt: hourAgo)
        lab.swarm.plantSecret(name: AgentSecrets.name(for: young), labels: ours.labels(for: young), createdAt: Date())
        var other = ours.labels(for: foreign)
        other[ServiceBlueprint.instanceLabel] = "another-instance"
        lab.swarm.plantSecret(name: AgentSecrets.name(for: foreign), labels: other, createdAt: hourAgo)

        await Reconciler(lab.orchestrator).sync(now: Date())
        #expect(Set(lab.swarm.secretData.keys) == [AgentSecrets.name(for: live.id), AgentSecrets.name(for: young), AgentSecrets.name(for: foreign)])
        // Two hours on: the young orphan is past its grace; the live container's secret stays.
        await Reconciler(lab.orchestrator).sync(now: Date().addingTimeInterval(7200))
        #expect(Set(lab.swarm.secretData.keys) == [AgentSecrets.name(for: live.id), AgentSecrets.name(for: foreign)])

        // Its service removed behind our back: the record ends, then the secret goes.
        try await lab.swarm.removeService(live.serviceName)
        await Reconciler(lab.orchestrator).sync(now: Date().addingTimeInterval(7200))
        await Reconciler(lab.orchestrator).sync(now: Date().addingTimeInterval(7200))
        #expect(Set(lab.swarm.secretData.keys) == [AgentSecrets.name(for: foreign)])
    }

    @Test func withTokensOffNoSecretIsMade() async throws {
        let lab = try Lab(tokens: .disabled)
        let record = try await lab.launch()
        #expect(lab.swarm.journal == ["create service \(record.serviceName)"])
        #expect(try await lab.spec(of: record).taskTemplate.containerSpec.secrets == nil)
        try await lab.orchestrator.stopper.stop(record.id, reason: .manual, detail: "test")
        #expect(lab.swarm.journal == ["create service \(record.serviceName)", "remove service \(record.serviceName)"])
    }

    // MARK: - Least privilege

    @Test func ideContainersDropNetRawAndAreNeitherPrivilegedNorGivenMounts() throws {
        let spec = ServiceBlueprint(settings: try testSettings()).spec(for: "aaaaaaaaaaaaaaaa", pooled: true)
        let drop = try #require(spec.taskTemplate.containerSpec.capabilityDrop)
        #expect(drop.contains("CAP_NET_RAW"))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any])
        let container = try #require((json["TaskTemplate"] as? [String: Any])?["ContainerSpec"] as? [String: Any])
        #expect(container["CapabilityDrop"] as? [String] == drop)
        for forbidden in ["Mounts", "Privileges", "CapabilityAdd", "Devices", "Sysctls"] {
            #expect(container[forbidden] == nil, "\(forbidden) in the spec")
        }
        #expect(!String(decoding: try JSONEncoder().encode(spec), as: UTF8.self).contains("docker.sock"))
    }
}
