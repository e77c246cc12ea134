import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 8, items 1 and 2 on the real Swarm with the real binary: agent tokens as Swarm
/// secrets, refused unauthenticated assignments, claims with tokens on, the legacy switch,
/// dropped capabilities, and no secret left behind.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct AgentAuthIntegrationTests {
    static let settings = RecoveryTests.fast.merging(["PRE_WARMED_QUEUE_SIZE": "1"]) { _, new in new }

    static func agentCall(_ method: String, _ address: String, _ path: String, token: String?, body: String? = nil) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = [(name: "Content-Type", value: "application/json")]
        if let token { headers.append((name: "Authorization", value: "Bearer \(token)")) }
        return try await CurlHTTPClient().execute(HTTPClientRequest(
            method: method, endpoint: .tcp(baseURL: "http://\(address):3000"), path: path, headers: headers, body: body.map { Data($0.utf8) }, timeout: .seconds(5)
        ))
    }

    @Test func anUnauthenticatedAssignmentIsRefusedTheContainerStaysClaimableAndAClaimWorksWithTokens() async throws {
        try await ServiceProcess.run(Self.settings) { service in
            try await service.waitForReady(1)
            let id = try #require(try await readyIds(service).first)
            let address = try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
            let container = try #require(try await EngineRaw.containerIds(of: service.services().filter { $0.spec.name == "ide-\(id)" }).first)
            let token = try await EngineRaw.agentToken(in: container)
            #expect(token == service.agentToken(for: id), "the secret holds the token the service derives")
            #expect(token.count == 64)

            let hijack = #"{"bucket":"attacker-bucket","region":"us-east-1","vncPassword":"attacker","activityUrl":"http://attacker/"}"#
            let anotherContainersToken = try #require(service.agentToken(for: "zzzzzzzzzzzzzzzz"))
            for wrong in [nil, "", anotherContainersToken, String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")] {
                let refused = try await Self.agentCall("POST", address, "/assign-s3-bucket", token: wrong, body: hijack)
                #expect(refused.status == 401, "token \(wrong == nil ? "none" : "wrong")")
                #expect(String(decoding: refused.body, as: UTF8.self) == #"{"status":"error","message":"missing or wrong agent token"}"#)
            }
            #expect(try await Self.agentCall("GET", address, "/health", token: nil).status == 401)
            #expect(try await Self.agentCall("POST", address, "/dev/assign-delay/1000", token: nil).status == 401)
            #expect(try await Self.agentCall("GET", address, "/assignment", token: token).status == 404, "nothing was assigned")
            #expect(try await Self.agentCall("GET", address, "/", token: nil).status == 200, "the web server stays open")

            // Still warm after a health round, then claimed end to end.
            try await Task.sleep(for: .seconds(2))
            let claimed = try await service.start(bucket: "token-bucket")
            #expect(claimed.status == 201, "\(claimed.text)")
            #expect(claimed.json["id"] as? String == id)
            #expect(claimed.json["isPreWarmed"] as? Bool == true)
            let assignment = try await agentAssignment(address: address, token: token)
            #expect(assignment["bucket"] as? String == "token-bucket")

            // Least privilege, as the kernel sees it: no raw sockets, nothing privileged, no socket mount.
            let inspect = try #require(try JSONSerialization.jsonObject(with: Data(try await EngineRaw.get("/containers/\(container)/json").utf8)) as? [String: Any])
            let host = try #require(inspect["HostConfig"] as? [String: Any])
            #expect(host["Privileged"] as? Bool == false)
            #expect((host["CapDrop"] as? [String] ?? []).contains("CAP_NET_RAW"))
            #expect(!"\(inspect["Mounts"] ?? "")".contains("docker.sock"))
            let status = try await EngineRaw.exec(container, ["cat", "/proc/1/status"])
            let effective = try #require(status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) })
            #expect(effective & (1 << 13) == 0, "CAP_NET_RAW (bit 13) is not effective: \(String(effective, radix: 16))")

            // Stopping removes the service, then its secret.
            #expect(try await service.call("DELETE", "/api/containers/\(id)").status == 200)
            let engine = try TestEnvironment.engine()
            _ = try await eventually(within: .seconds(20), "the stopped container's secret to go") { () -> Bool? in
                try await engine.secrets(labels: [ServiceBlueprint.idLabel: id]).isEmpty ? true : nil
            }
        }
    }

    @Test func withAgentAuthOffNoSecretIsMadeNoHeaderIsNeededAndTheStartIsLoud() async throws {
        try await ServiceProcess.run(Self.settings.merging(["AGENT_AUTH": "false"]) { _, new in new }) { service in
            try await service.waitForReady(1)
            let id = try #require(try await readyIds(service).first)
            let address = try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
            #expect(try await TestEnvironment.engine().secrets(labels: [ServiceBlueprint.instanceLabel: service.instance]).isEmpty)
            #expect(try await Self.agentCall("GET", address, "/health", token: nil).status == 200, "a legacy agent checks nothing")
            #expect(try await service.start(bucket: "legacy-bucket").status == 201)
            #expect(service.log().contains("AGENT_AUTH=false"), "the start warns")
            #expect(!FileManager.default.fileExists(atPath: service.directory.appendingPathComponent("agent-token.key").path))
        }
    }

    @Test func afterARestartTheServiceStillReachesItsAgents() async throws {
        try await ServiceProcess.run(Self.settings) { service in
            try await service.waitForReady(1)
            let id = try #require(try await readyIds(service).first)
            service.stop(signal: SIGKILL)
            try await service.launch()
            let claimed = try await service.start(bucket: "after-restart")
            #expect(claimed.status == 201, "\(claimed.text)")
            #expect(claimed.json["id"] as? String == id, "the warm container kept its place: its agent still answers")
            #expect(try await TestEnvironment.engine().secrets(labels: [ServiceBlueprint.idLabel: id]).count == 1, "a live container keeps its secret")
        }
    }
}
