import Foundation
import Testing
@testable import IDEOrchestrator

/// Contract v2 against the real engine and the dev agent: the flush before every stop, the
/// credentials push, the new service environment, and an image whose labels keep route prefixes.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct WorkspaceContractIntegrationTests {
    /// What the dev agent's `GET /dev/workspace` says: flushes answered and the last credentials pushed.
    static func workspaceReadback(address: String, token: String?) async throws -> [String: Any] {
        let headers = token.map { [(name: "Authorization", value: "Bearer \($0)")] } ?? []
        let response = try await CurlHTTPClient().execute(HTTPClientRequest(
            endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/dev/workspace", headers: headers, timeout: .seconds(5)
        ))
        #expect(response.status == 200)
        return (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
    }

    @Test func deletingAnAssignedContainerFlushesItsWorkspaceBeforeTheServiceGoes() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1", "WORKSPACE_FLUSH_TIMEOUT": "20s", "WORKSPACE_S3_ENDPOINT": "http://s3.test:5000"]) { service in
            try await service.waitForReady(1)
            let reply = try await service.start(bucket: "flush-bucket", extra: #","workspacePrefix":"courses/cs101/""#)
            #expect(reply.status == 201, "\(reply.text)")
            let id = try #require(reply.json["id"] as? String)
            let detail = try await service.call("GET", "/api/containers/\(id)")
            let address = try #require(detail.json["taskAddress"] as? String)
            let workspace = try #require(detail.json["workspace"] as? [String: Any])
            #expect(workspace["prefix"] as? String == "courses/cs101/")
            #expect(workspace["agentPort"] as? Int == 3000)

            // The assignment carried the endpoint and prefix; the service got its new environment.
            let assigned = try await agentAssignment(address: address, token: service.agentToken(for: id))
            let request = try #require(assigned["request"] as? [String: Any])
            #expect(request["s3Endpoint"] as? String == "http://s3.test:5000")
            #expect(request["workspacePrefix"] as? String == "courses/cs101/")
            #expect(request["credentialsExpireAt"] == nil, "no temporary credentials, no expiry")
            let spec = try await TestEnvironment.engine().service("ide-\(id)").spec
            #expect(spec.taskTemplate.containerSpec.env?.contains("WEB_BASE_PATH=/web/\(id)") == true)
            #expect(spec.taskTemplate.containerSpec.stopGracePeriod == 35_000_000_000)

            // The service's client speaks the new routes to the real agent, with the token.
            let agent = service.agentClient()
            let pushed = AgentCredentials(S3Credentials(accessKeyId: "ASIAREFRESHED", secretAccessKey: "s", sessionToken: "t"), expiration: Date().addingTimeInterval(900))
            try await agent.updateCredentials(address: address, port: 3000, containerId: id, credentials: pushed)
            let readback = try await Self.workspaceReadback(address: address, token: service.agentToken(for: id))
            #expect((readback["credentials"] as? [String: Any])?["accessKeyId"] as? String == "ASIAREFRESHED")
            #expect(readback["flushes"] as? Int == 0)

            let deleted = try await service.call("DELETE", "/api/containers/\(id)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted.json["status"] as? String == "stopped")
            let after = try await service.call("GET", "/api/containers/\(id)")
            let events = try #require(after.json["events"] as? [[String: Any]])
            let kinds = events.compactMap { $0["kind"] as? String }
            let flushed = try #require(kinds.firstIndex(of: "flushed"), "\(kinds)")
            #expect(events[flushed]["reason"] as? String == "the workspace was pushed to the bucket before the stop", "the dev agent answered flushed")
            #expect(try #require(kinds.firstIndex(of: "stopping")) < flushed)
            #expect(flushed < (try #require(kinds.lastIndex(of: "stopped"))))
            #expect(!kinds.contains("flush_failed"))
            let gone = try await eventually(within: .seconds(30), "service removed") { () -> Bool? in
                try await service.services().contains { $0.spec.name == "ide-\(id)" } ? nil : true
            }
            #expect(gone)
        }
    }

    @Test func aWarmContainerThatWasNeverAssignedIsNotFlushed() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1"]) { service in
            try await service.waitForReady(1)
            let list = try await service.call("GET", "/api/containers?status=ready")
            let ready = try #require((list.json["containers"] as? [[String: Any]])?.first?["id"] as? String)
            let deleted = try await service.call("DELETE", "/api/containers/\(ready)")
            #expect(deleted.status == 200, "\(deleted.text)")
            let kinds = (try await service.call("GET", "/api/containers/\(ready)").json["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            #expect(kinds.contains("stopped") && !kinds.contains { $0.hasPrefix("flush") }, "\(kinds)")
        }
    }

    /// The image declares that its code and vnc apps serve under their prefix: their routers
    /// get no strip middleware; web (and every route of the unlabelled dev image) keeps it.
    @Test func anImageWhoseLabelsKeepPrefixesGetsUnstrippedRoutes() async throws {
        let engine = try TestEnvironment.engine()
        let tag = "ide-orchestrator/dev-ide-labelled:\(TestEnvironment.uniqueName("t"))"
        var source: String?
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1"]) { service in
            try await service.waitForReady(1)
            source = try await EngineRaw.containerIds(of: try await service.services()).first
            let container = try #require(source)
            let changes = ["LABEL ide-orchestrator.contract-version=2", "LABEL ide-orchestrator.agent-port=3000",
                           "LABEL ide-orchestrator.route.code.keep-prefix=true", "LABEL ide-orchestrator.route.vnc.keep-prefix=true",
                           "LABEL ide-orchestrator.route.web.keep-prefix=false"]
            let (repo, version) = (String(tag.split(separator: ":")[0]), String(tag.split(separator: ":")[1]))
            let query = (["container=\(container)", "repo=\(repo)", "tag=\(version)", "pause=false"]
                + changes.map { "changes=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }).joined(separator: "&")
            let committed = try await CurlHTTPClient().execute(HTTPClientRequest(method: "POST", endpoint: try TestEnvironment.endpoint(), path: "/v1.41/commit?\(query)", timeout: .seconds(60)))
            #expect(committed.status == 201, "\(String(decoding: committed.body, as: UTF8.self))")
        }
        let labels = try #require(try await engine.image(tag).config?.labels)
        #expect(labels["ide-orchestrator.route.code.keep-prefix"] == "true")
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1", "IDE_CONTAINER_IMAGE": tag]) { service in
            try await service.waitForReady(1)
            let reply = try await service.start(bucket: "prefix-bucket")
            #expect(reply.status == 201, "\(reply.text)")
            let id = try #require(reply.json["id"] as? String)
            let spec = try await engine.service("ide-\(id)").spec
            for route in ["code", "vnc"] {
                let name = "ide-\(id)-\(route)"
                #expect(spec.labels["traefik.http.routers.\(name).rule"] == "PathPrefix(`/\(route)/\(id)`)")
                #expect(spec.labels["traefik.http.routers.\(name).middlewares"] == "\(name)-auth,\(name)-headers")
                #expect(spec.labels["traefik.http.middlewares.\(name)-strip.stripprefix.prefixes"] == nil)
            }
            #expect(spec.labels["traefik.http.routers.ide-\(id)-web.middlewares"] == "ide-\(id)-web-auth,ide-\(id)-web-headers,ide-\(id)-web-strip")
            #expect(spec.labels["traefik.http.middlewares.ide-\(id)-web-strip.stripprefix.prefixes"] == "/web/\(id)")
            #expect(spec.labels.filter { $0.key.hasSuffix("loadbalancer.server.port") }.values.sorted() == ["3000", "6080", "8080"])
            let deleted = try await service.call("DELETE", "/api/containers/\(id)")
            #expect(deleted.status == 200)
        }
        _ = try? await CurlHTTPClient().execute(HTTPClientRequest(method: "DELETE", endpoint: try TestEnvironment.endpoint(), path: "/v1.41/images/\(tag)?force=true", timeout: .seconds(30)))
    }
}
