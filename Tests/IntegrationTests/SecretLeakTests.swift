import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 8, item 7: known AWS secrets, VNC passwords, API keys, activity tokens and agent
/// tokens go through every route that takes them (and a few that should not); then the
/// service's log, its database files, every API response, and what the engine holds for
/// the instance (service, secret and container inspects, the containers' logs) are searched,
/// and none of them is found.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct SecretLeakTests {
    /// Every text the test searches, by where it came from.
    final class Haystack: @unchecked Sendable {
        private(set) var places: [(place: String, text: String)] = []
        func add(_ place: String, _ text: String) { places.append((place, text)) }
    }

    @Test func noKnownSecretReachesALogTheDatabaseAResponseOrTheEngine() async throws {
        func unique(_ kind: String) -> String { "\(kind)-\(UUID().uuidString)" }
        let ownSecret = unique("own-aws-secret")
        var secrets: [String: String] = ["the service's own AWS secret": ownSecret]
        let settings = RecoveryTests.fast.merging([
            "PRE_WARMED_QUEUE_SIZE": "2", "AWS_ACCESS_KEY_ID": "AKIAOWNSERVICEKEY01", "AWS_SECRET_ACCESS_KEY": ownSecret,
        ]) { _, new in new }
        let haystack = Haystack()
        var routes = Set<String>()

        try await ServiceProcess.run(settings) { service in
            secrets["API key"] = service.apiKey
            func call(_ method: String, _ path: String, route: String, body: String? = nil, key: String? = "") async throws -> ServiceProcess.Reply {
                let reply = try await service.call(method, path, body: body, key: key)
                routes.insert(route)
                haystack.add("response of \(method) \(path) (\(reply.status))", reply.text + "\n" + reply.headers.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))
                return reply
            }
            try await service.waitForReady(2)

            // Starts with the platform's credentials and VNC passwords, one reused, one with the service's own.
            var running: [String] = []
            for (index, bucket) in ["leak-bucket-one", "leak-bucket-two"].enumerated() {
                let aws = unique("aws-secret-\(index)"), vnc = unique("vnc-\(index)")
                secrets["AWS secret \(index)"] = aws
                secrets["VNC password \(index)"] = vnc
                let reply = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: """
                    {"s3Bucket":"\(bucket)","s3Region":"us-east-1","awsAccessKeyId":"AKIATEST\(index)","awsSecretAccessKey":"\(aws)","vncPassword":"\(vnc)","userId":"user-\(index)"}
                    """)
                #expect(reply.status == 201, "\(reply.text)")
                running.append(try #require(reply.json["id"] as? String))
            }
            let reuseSecret = unique("aws-secret-reuse"), reuseVNC = unique("vnc-reuse")
            secrets["AWS secret of a reuse"] = reuseSecret
            secrets["VNC password of a reuse"] = reuseVNC
            let reused = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: """
                {"s3Bucket":"leak-bucket-one","awsAccessKeyId":"AKIATESTR","awsSecretAccessKey":"\(reuseSecret)","vncPassword":"\(reuseVNC)","userId":"user-0"}
                """)
            #expect(reused.status == 200 && reused.json["isReused"] as? Bool == true, "\(reused.text)")
            let ownVNC = unique("vnc-own")
            secrets["VNC password with the service's credentials"] = ownVNC
            try await service.waitForReady(2)
            let withOwn = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: #"{"s3Bucket":"leak-bucket-own","vncPassword":"\#(ownVNC)"}"#)
            #expect(withOwn.status == 201, "\(withOwn.text)")
            running.append(try #require(withOwn.json["id"] as? String))
            // Refused starts carry secrets too.
            let badSecret = unique("aws-secret-bad"), badVNC = unique("vnc-bad")
            secrets["AWS secret of a refused start"] = badSecret
            secrets["VNC password of a refused start"] = badVNC
            let badBucket = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: """
                {"s3Bucket":"Not_A_Bucket!","awsAccessKeyId":"AKIATESTB","awsSecretAccessKey":"\(badSecret)","vncPassword":"\(badVNC)"}
                """)
            #expect(badBucket.status == 400)
            let malformed = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: #"{"s3Bucket":"leak-bucket-3","awsSecretAccessKey":"\#(badSecret)","vncPassword":"\#(badVNC)""#)
            #expect(malformed.status == 400)
            let mistyped = try await call("POST", "/api/containers/start", route: "POST /api/containers/start", body: #"{"s3Bucket":"leak-bucket-3","awsSecretAccessKey":7,"vncPassword":"\#(badVNC)"}"#)
            #expect(mistyped.status == 400)

            // What the engine and the agents hold: every agent token (read inside the
            // containers) and the activity token of every assignment.
            try await service.waitForReady(2)
            let services = try await service.services()
            var agentTokens: [String] = []
            for container in try await EngineRaw.containerIds(of: services) {
                let token = try await EngineRaw.agentToken(in: container)
                #expect(token.count == 64, "container \(container) has an agent token")
                agentTokens.append(token)
            }
            #expect(agentTokens.count == 5, "3 running and 2 warm containers")
            for (index, token) in agentTokens.enumerated() { secrets["agent token \(index)"] = token }
            var activityTokens: [String: String] = [:]
            for id in running {
                let address = try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
                let request = try await agentAssignment(address: address, token: service.agentToken(for: id))["request"] as? [String: Any]
                let token = try #require(request?["activityToken"] as? String)
                activityTokens[id] = token
                secrets["activity token of \(id)"] = token
            }

            // Container-token routes, with the right token, a wrong one and an agent token.
            let wrongKey = unique("wrong-api-key")
            secrets["a wrong API key"] = wrongKey
            for id in running.prefix(2) {
                #expect(try await call("POST", "/api/containers/\(id)/activity", route: "POST /api/containers/:id/activity", key: activityTokens[id]).status == 200)
                #expect(try await call("POST", "/api/containers/\(id)/activity", route: "POST /api/containers/:id/activity", key: wrongKey).status == 401)
                #expect(try await call("POST", "/api/containers/\(id)/activity", route: "POST /api/containers/:id/activity", key: agentTokens[0]).status == 401)
            }
            let leaving = running[2]
            #expect(try await call("POST", "/api/containers/\(leaving)/inactivity-shutdown", route: "POST /api/containers/:id/inactivity-shutdown", key: activityTokens[leaving]).status == 200)

            // Every keyed route, with the key, a wrong key and an agent token as the key.
            let keyed: [(String, String, String)] = [
                ("GET", "/api/containers?limit=500", "GET /api/containers"), ("GET", "/api/containers/\(running[0])", "GET /api/containers/:id"),
                ("GET", "/api/queue", "GET /api/queue"), ("GET", "/api/nodes", "GET /api/nodes"),
                ("GET", "/api/events/recent?limit=500", "GET /api/events/recent"), ("GET", "/metrics", "GET /metrics"),
            ]
            for (method, path, route) in keyed {
                #expect(try await call(method, path, route: route).status == 200, "\(path)")
                #expect(try await call(method, path, route: route, key: wrongKey).status == 401, "\(path)")
                #expect(try await call(method, path, route: route, key: agentTokens[1]).status == 401, "\(path)")
            }
            for path in ["/api/health", "/live", "/ready", "/api/openapi.yaml"] {
                _ = try await call("GET", path, route: "GET \(path)", key: nil)
                _ = try await call("GET", path, route: "GET \(path)")
            }

            // What the engine holds while the containers run.
            try await Self.inspectEngine(service, into: haystack, moment: "while running")

            // Stop one, forget its record, and look again.
            #expect(try await call("DELETE", "/api/containers/\(running[1])", route: "DELETE /api/containers/:id").status == 200)
            #expect(try await call("DELETE", "/api/containers/\(running[1])/record", route: "DELETE /api/containers/:id/record").status == 200)
            #expect(try await call("DELETE", "/api/containers/\(running[0])", route: "DELETE /api/containers/:id", key: wrongKey).status == 401)
            _ = try await call("GET", "/api/events/recent?limit=500", route: "GET /api/events/recent")
            try await Self.inspectEngine(service, into: haystack, moment: "at the end")

            haystack.add("the service's log", service.log())
            for suffix in ["", "-wal", "-shm"] {
                let data = FileManager.default.contents(atPath: service.directory.appendingPathComponent("containers.db\(suffix)").path) ?? Data()
                haystack.add("containers.db\(suffix)", String(decoding: data, as: UTF8.self))
            }
            // Controls: each kind of place holds what it should, so a search in it can find something.
            func holds(_ prefix: String, _ needle: String) -> Bool { haystack.places.contains { $0.place.hasPrefix(prefix) && $0.text.contains(needle) } }
            #expect(holds("containers.db", "leak-bucket-two"), "the database was read")
            #expect(holds("the service's log", "Container assigned"), "the log was read")
            #expect(holds("response of GET /api/containers", "leak-bucket-one"), "the responses were kept")
            #expect(holds("service inspect", "ide-agent-token") && holds("service inspect", "CAP_NET_RAW"), "the service specs were read")
            #expect(holds("secret inspect", ServiceBlueprint.instanceLabel), "the secrets were read")
            #expect(holds("service logs", "/assign-s3-bucket"), "the containers' logs were read")

            for (place, text) in haystack.places {
                for (name, value) in secrets {
                    let leaked = text.contains(value)
                    #expect(!leaked, "\(name) found in \(place)")
                }
            }
            let kinds = ["response", "the service's log", "containers.db", "service inspect", "secret inspect", "container inspect", "service logs"]
            let byKind = kinds.map { kind in "\(kind) \(haystack.places.filter { $0.place.hasPrefix(kind) }.count)" }.joined(separator: ", ")
            let found = "secrets: \(secrets.count) values; routes: \(routes.count); places searched: \(haystack.places.count) (\(byKind))"
            print("SecretLeakTests figures: \(found)")
            #expect(secrets.count >= 20 && routes.count >= 14)
        }
    }

    /// `docker service inspect` and `docker service logs` of every service of the instance,
    /// `docker secret inspect` of every secret of it, and `docker inspect` of every container.
    static func inspectEngine(_ service: ServiceProcess, into haystack: Haystack, moment: String) async throws {
        let services = try await service.services()
        for item in services {
            haystack.add("service inspect \(item.spec.name) \(moment)", try await EngineRaw.get("/services/\(item.id)"))
            haystack.add("service logs \(item.spec.name) \(moment)", try await EngineRaw.get("/services/\(item.id)/logs?stdout=1&stderr=1"))
        }
        let secrets = try await TestEnvironment.engine().secrets(labels: [ServiceBlueprint.instanceLabel: service.instance])
        #expect(!secrets.isEmpty)
        for secret in secrets {
            haystack.add("secret inspect \(secret.spec.name) \(moment)", try await EngineRaw.get("/secrets/\(secret.id)"))
        }
        for container in try await EngineRaw.containerIds(of: services) {
            haystack.add("container inspect \(container) \(moment)", try await EngineRaw.get("/containers/\(container)/json"))
        }
    }
}
