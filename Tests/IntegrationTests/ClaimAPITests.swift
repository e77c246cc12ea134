import Foundation
import Testing
@testable import IDEOrchestrator

@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct ClaimAPITests {
    @Test func quickStartClaimsAWarmContainerAndThePoolRefills() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "3"]) { service in
            try await service.waitForReady(3)

            let reply = try await service.start(bucket: "test-bucket")
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.json["isPreWarmed"] as? Bool == true)
            let id = try #require(reply.json["id"] as? String)
            #expect(id.count >= 12 && ContainerID.isWellFormed(id))
            #expect(reply.json["serviceName"] as? String == "ide-\(id)")
            let urls = try #require(reply.json["urls"] as? [String: String])
            #expect(urls["codeServer"] == "http://localhost/code/\(id)/")
            #expect(urls["vnc"] == "http://localhost/vnc/\(id)/")
            #expect(urls["webServer"] == "http://localhost/web/\(id)/")

            let detail = try await service.call("GET", "/api/containers/\(id)")
            #expect(detail.json["status"] as? String == "running")
            let address = try #require(detail.json["taskAddress"] as? String)
            let assigned = try await agentAssignment(address: address, token: service.agentToken(for: id))
            #expect(assigned["bucket"] as? String == "test-bucket")

            let spec = try await TestEnvironment.engine().service("ide-\(id)").spec
            for (route, port) in [("code", 8080), ("vnc", 6080), ("web", 3000)] {
                let name = "ide-\(id)-\(route)"
                #expect(spec.labels["traefik.http.routers.\(name).rule"] == "PathPrefix(`/\(route)/\(id)`)")
                #expect(spec.labels["traefik.http.routers.\(name).entrypoints"] == "web")
                #expect(spec.labels["traefik.http.services.\(name).loadbalancer.server.port"] == String(port))
                #expect(spec.labels["traefik.http.middlewares.\(name)-strip.stripprefix.prefixes"] == "/\(route)/\(id)")
            }
            #expect(spec.labels["traefik.enable"] == "true")
            #expect(spec.taskTemplate.containerSpec.env?.contains("CODE_BASE_PATH=/code/\(id)") == true)

            try await service.waitForReady(3)
            let again = try await service.start(bucket: "test-bucket")
            #expect(again.status == 200)
            #expect(again.json["isReused"] as? Bool == true)
            #expect(again.json["id"] as? String == id)
        }
    }

    /// Swarm's executor asks a registry for an image named by tag at every task start (here
    /// none answers, and each start waited for the lookup to fail); named by id it asks nobody.
    /// The local Swarm has one node, so the dev image (imported, no digest) is named by its id.
    @Test func containersRunTheImagePinnedByItsIDUnlessTheSettingSaysNo() async throws {
        let engine = try TestEnvironment.engine()
        let held = try await engine.image(TestEnvironment.image)
        for (pinned, expected) in [("true", held.id), ("false", TestEnvironment.image)] {
            try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1", "IDE_CONTAINER_IMAGE_PINNED": pinned]) { service in
                try await service.waitForReady(1)
                let reply = try await service.start(bucket: "pinned-\(pinned)")
                #expect(reply.status == 201, "\(reply.text)")
                let id = try #require(reply.json["id"] as? String)
                #expect(try await engine.service("ide-\(id)").spec.taskTemplate.containerSpec.image == expected)
            }
        }
    }

    @Test func concurrentStartsNeverShareAContainer() async throws {
        let poolSize = 2
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": String(poolSize), "POOL_SPAWN_CONCURRENCY": "2"]) { service in
            try await service.waitForReady(poolSize)

            let buckets = (0..<(3 * poolSize)).map { "race-bucket-\($0)" }
            let replies = try await withThrowingTaskGroup(of: (String, ServiceProcess.Reply).self) { group in
                for bucket in buckets { group.addTask { (bucket, try await service.start(bucket: bucket)) } }
                return try await group.reduce(into: [(String, ServiceProcess.Reply)]()) { $0.append($1) }
            }
            let granted = replies.filter { $0.1.status == 201 }
            #expect(replies.allSatisfy { [201, 503].contains($0.1.status) }, "\(replies.map { $0.1.text })")
            #expect(granted.filter { $0.1.json["isPreWarmed"] as? Bool == true }.count == poolSize)
            let ids = granted.compactMap { $0.1.json["id"] as? String }
            #expect(Set(ids).count == ids.count, "a container was handed out twice")

            for (bucket, reply) in granted {
                let id = try #require(reply.json["id"] as? String)
                let detail = try await service.call("GET", "/api/containers/\(id)")
                #expect(detail.json["s3Bucket"] as? String == bucket)
                let address = try #require(detail.json["taskAddress"] as? String)
                #expect(try await agentAssignment(address: address, token: service.agentToken(for: id))["bucket"] as? String == bucket)
            }
            let running = try await service.call("GET", "/api/containers?status=running&limit=500")
            let runningBuckets = (running.json["containers"] as? [[String: Any]] ?? []).compactMap { $0["s3Bucket"] as? String }
            #expect(Set(runningBuckets).count == runningBuckets.count)
            #expect(runningBuckets.count == granted.count)
        }
    }

    @Test func badInputIsRejectedAndCreatesNothing() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "0"]) { service in
            for bad in ["a`b", "Bad_Bucket", "ab", "192.168.1.1", String(repeating: "a", count: 64), "x) || Host(`"] {
                let body = try String(decoding: JSONSerialization.data(withJSONObject: ["s3Bucket": bad]), as: UTF8.self)
                let reply = try await service.call("POST", "/api/containers/start", body: body)
                #expect(reply.status == 400, "\(bad): \(reply.text)")
                #expect((reply.json["error"] as? [String: String])?["code"] == "INVALID_S3_BUCKET")
                #expect(reply.json["timestamp"] is String && reply.json["path"] as? String == "/api/containers/start")
            }
            #expect(try await service.call("POST", "/api/containers/start", body: #"{"s3Bucket":"good-bucket"}"#, key: nil).status == 401)
            let wrong = try await service.call("POST", "/api/containers/start", body: #"{"s3Bucket":"good-bucket"}"#, key: "wrong")
            #expect(wrong.status == 401)
            #expect((wrong.json["error"] as? [String: String])?["code"] == "AUTHENTICATION_FAILED")
            let unknown = try await service.call("DELETE", "/api/containers/doesnotexist0000")
            #expect(unknown.status == 404)
            #expect((unknown.json["error"] as? [String: String])?["code"] == "CONTAINER_NOT_FOUND")
            #expect(try await service.services().isEmpty)
            #expect(try await service.call("GET", "/api/containers").json["total"] as? Int == 0)
        }
    }

    @Test func deleteRemovesTheServiceAndRecordsManual() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "1"]) { service in
            try await service.waitForReady(1)
            let id = try #require(try await service.start(bucket: "delete-me").json["id"] as? String)
            let deleted = try await service.call("DELETE", "/api/containers/\(id)")
            #expect(deleted.status == 200)
            let detail = try await service.call("GET", "/api/containers/\(id)")
            #expect(detail.json["status"] as? String == "stopped")
            #expect(detail.json["shutdownReason"] as? String == "manual")
            let engine = try TestEnvironment.engine()
            let gone = await #expect(throws: DockerError.self) { try await engine.service("ide-\(id)") }
            #expect(gone?.code == .serviceNotFound)
        }
    }

    @Test func aRefusingAgentIsFailedAndTheNextContainerServes() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "2"]) { service in
            try await service.waitForReady(2)
            let ready = try await service.call("GET", "/api/containers?status=ready").json["containers"] as? [[String: Any]] ?? []
            // Give every warm container's agent another bucket behind the service's back.
            let sabotaged = try #require(ready.first?["id"] as? String)
            let address = try #require(try await service.call("GET", "/api/containers/\(sabotaged)").json["taskAddress"] as? String)
            let agent = service.agentClient()
            _ = try await agent.assign(address: address, port: 3000, assignment: AgentAssignment(bucket: "someone-else", region: "us-east-1", containerId: sabotaged))

            var served: [String] = []
            for bucket in ["first-bucket", "second-bucket"] {
                let reply = try await service.start(bucket: bucket)
                #expect(reply.status == 201, "\(reply.text)")
                served.append(try #require(reply.json["id"] as? String))
            }
            #expect(!served.contains(sabotaged))
            let failed = try await service.call("GET", "/api/containers/\(sabotaged)")
            #expect(failed.json["status"] as? String == "failed")
        }
    }

    @Test func noCapacityAnswers503WithRetryAfter() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "0", "MAX_MEMORY_PERCENT": "1"]) { service in
            let reply = try await service.start(bucket: "no-room")
            #expect(reply.status == 503)
            #expect((reply.json["error"] as? [String: String])?["code"] == "RESOURCE_LIMIT_EXCEEDED")
            #expect(reply.headers["retry-after"] != nil)
            #expect(try await service.services().isEmpty)
        }
    }

    @Test func restartKeepsRecordsAndClaimsStillWork() async throws {
        try await ServiceProcess.run(["PRE_WARMED_QUEUE_SIZE": "2"]) { service in
            try await service.waitForReady(2)
            let first = try #require(try await service.start(bucket: "before-restart").json["id"] as? String)
            try await service.waitForReady(2)

            service.stop(signal: SIGTERM)
            try await service.launch()
            let listed = try await service.call("GET", "/api/containers?limit=500").json["containers"] as? [[String: Any]] ?? []
            #expect(listed.contains { $0["id"] as? String == first && $0["status"] as? String == "running" })
            try await service.waitForReady(2)
            let second = try await service.start(bucket: "after-restart")
            #expect(second.status == 201, "\(second.text)")
            #expect(second.json["isPreWarmed"] as? Bool == true)
            let reused = try await service.start(bucket: "before-restart")
            #expect(reused.status == 200)
            #expect(reused.json["id"] as? String == first)
        }
    }
}
