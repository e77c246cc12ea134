import Foundation
import Testing
@testable import IDEOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// Monitors and reconciliation against the real Swarm: kills, removals behind the service's
/// back, crashes, resource gates, idle shutdown and warm expiry.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct RecoveryTests {
    static let fast = [
        "HEALTH_CHECK_INTERVAL": "1s", "HEALTH_CHECK_TIMEOUT": "1s", "HEALTH_CHECK_RETRIES": "2",
        "RECONCILE_INTERVAL": "2s", "HOUSEKEEPING_INTERVAL": "1s", "POOL_CHECK_INTERVAL": "1s",
    ]

    static func settings(_ extra: [String: String]) -> [String: String] {
        fast.merging(extra) { _, new in new }
    }

    @Test func killedWarmContainerIsReplaced() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2"])) { service in
            try await service.waitForReady(2)
            let victim = try #require(try await readyIds(service).first)
            let engine = try TestEnvironment.engine()
            let task = try #require(try await engine.tasks(serviceID: "ide-\(victim)", desiredState: "running").first(where: \.isRunning))
            try await killContainer(try #require(task.status.containerStatus?.containerID))

            _ = try await eventually(within: .seconds(60), "the killed container to be replaced") { () -> Bool? in
                let detail = try await service.call("GET", "/api/containers/\(victim)")
                let ready = try await readyIds(service)
                return detail.json["status"] as? String == "failed" && ready.count == 2 && !ready.contains(victim) ? true : nil
            }
            let gone = await #expect(throws: DockerError.self) { try await engine.service("ide-\(victim)") }
            #expect(gone?.code == .serviceNotFound)
        }
    }

    @Test func warmContainerThatExitsCleanlyIsReplaced() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "1", "HEALTH_CHECK_INTERVAL": "1h", "RECONCILE_INTERVAL": "1h"])) { service in
            try await service.waitForReady(1)
            let victim = try #require(try await readyIds(service).first)
            let engine = try TestEnvironment.engine()
            let task = try #require(try await engine.tasks(serviceID: "ide-\(victim)", desiredState: "running").first(where: \.isRunning))
            // SIGTERM: the agent exits 0, the task is complete and on-failure will not restart it.
            try await containerAction(try #require(task.status.containerStatus?.containerID), "kill?signal=TERM")
            _ = try await eventually(within: .seconds(30), "the exited container to be replaced (events only: timers are off)") { () -> Bool? in
                let detail = try await service.call("GET", "/api/containers/\(victim)")
                let ready = try await readyIds(service)
                return detail.json["status"] as? String == "failed" && ready.count == 1 && !ready.contains(victim) ? true : nil
            }
        }
    }

    @Test func serviceRemovedBehindOurBackEndsTheRecord() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "1"])) { service in
            try await service.waitForReady(1)
            let id = try #require(try await service.start(bucket: "removed-behind").json["id"] as? String)
            try await TestEnvironment.engine().removeService("ide-\(id)")
            let detail = try await eventually(within: .seconds(30), "the record to stop") { () -> ServiceProcess.Reply? in
                let detail = try await service.call("GET", "/api/containers/\(id)")
                return detail.json["status"] as? String == "stopped" ? detail : nil
            }
            #expect(detail.json["shutdownReason"] as? String == "service_removed")
            let events = detail.json["events"] as? [[String: Any]] ?? []
            #expect(events.contains { ($0["reason"] as? String)?.contains("service is gone") == true })
        }
    }

    @Test func foreignServicesWithOurLabelAreAdoptedOrRemoved() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "0"])) { service in
            let engine = try TestEnvironment.engine()
            let template = ServiceSpec.TaskTemplate(containerSpec: .init(image: TestEnvironment.image, stopGracePeriod: 1_000_000_000), networks: [.init(target: TestEnvironment.network)])
            let strayName = TestEnvironment.uniqueName("stray")
            let stray = try await engine.createService(ServiceSpec(name: strayName, labels: [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.instanceLabel: service.instance], taskTemplate: template))
            let adoptedId = ContainerID.generate()
            _ = try await engine.createService(ServiceSpec(name: "ide-\(adoptedId)", labels: [
                ServiceBlueprint.managedLabel: "true", ServiceBlueprint.instanceLabel: service.instance, ServiceBlueprint.idLabel: adoptedId,
            ], taskTemplate: template))

            _ = try await eventually(within: .seconds(30), "the unowned service to be removed") { () -> Bool? in
                do {
                    _ = try await engine.service(stray)
                    return nil
                } catch let error as DockerError where error.code == .serviceNotFound {
                    return true
                }
            }
            // Adopted into the store; with a pool target of 0 it is then retired as surplus.
            let detail = try await eventually(within: .seconds(60), "the labelled service to be adopted") { () -> ServiceProcess.Reply? in
                let detail = try await service.call("GET", "/api/containers/\(adoptedId)")
                return detail.status == 200 ? detail : nil
            }
            let events = detail.json["events"] as? [[String: Any]] ?? []
            #expect(events.contains { ($0["reason"] as? String)?.contains("adopted") == true })
        }
    }

    @Test func crashWhileFillingThenRestartConverges() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "3", "POOL_SPAWN_CONCURRENCY": "3"])) { service in
            _ = try await eventually(within: .seconds(30), every: .milliseconds(20), "the pool to start filling") { () -> Bool? in
                let pool = try await service.pool()
                return (pool["warming"] ?? 0) > 0 && (pool["ready"] ?? 0) < 3 ? true : nil
            }
            service.stop(signal: SIGKILL)
            try await service.launch()
            _ = try await eventually(within: .seconds(90), "exactly 3 ready, no orphan, no record without a service") { () -> Bool? in
                let pool = try await service.pool()
                let services = try await service.services()
                let live = (try await service.call("GET", "/api/containers?limit=500").json["containers"] as? [[String: Any]] ?? [])
                    .filter { !["stopped", "failed"].contains($0["status"] as? String ?? "") }
                let serviceNames = Set(services.map(\.spec.name))
                let recordNames = Set(live.compactMap { $0["serviceName"] as? String })
                return pool["ready"] == 3 && services.count == 3 && serviceNames == recordNames && live.count == 3 ? true : nil
            }
        }
    }

    @Test func memoryCeilingStopsSpawningAndHealthSaysWhy() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "MAX_MEMORY_PERCENT": "1", "RESOURCE_SAMPLE_INTERVAL": "200ms"])) { service in
            let health = try await eventually(within: .seconds(10), "health to report the ceiling") { () -> ServiceProcess.Reply? in
                let health = try await service.call("GET", "/api/health")
                return health.status == 503 ? health : nil
            }
            let resources = try #require(health.json["resources"] as? [String: Any])
            #expect(resources["spawnAllowed"] as? Bool == false)
            #expect((resources["reason"] as? String)?.contains("MAX_MEMORY_PERCENT") == true)
            let queue = try await service.call("GET", "/api/queue")
            #expect(queue.json["spawnAllowed"] as? Bool == false)
            #expect(try await service.services().isEmpty)
        }
    }

    @Test func idleContainersStopWhileActiveOnesKeepRunning() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "IDLE_TIMEOUT_SECONDS": "4"])) { service in
            try await service.waitForReady(2)
            let idle = try #require(try await service.start(bucket: "idle-bucket").json["id"] as? String)
            let active = try #require(try await service.start(bucket: "active-bucket").json["id"] as? String)
            let address = try #require(try await service.call("GET", "/api/containers/\(active)").json["taskAddress"] as? String)
            let assignment = try await agentAssignment(address: address, token: service.agentToken(for: active))
            let token = try #require((assignment["request"] as? [String: Any])?["activityToken"] as? String)

            let refused = try await service.call("POST", "/api/containers/\(active)/activity", key: "not-the-token")
            #expect(refused.status == 401)
            #expect((refused.json["error"] as? [String: String])?["code"] == "INVALID_ACTIVITY_TOKEN")
            #expect(try await service.call("POST", "/api/containers/\(active)/activity", key: service.apiKey).status == 401)
            #expect(try await service.call("POST", "/api/containers/\(idle)/activity", key: token).status == 401)

            let idleDetail = try await eventually(within: .seconds(40), "the idle container to stop") { () -> ServiceProcess.Reply? in
                let reported = try await service.call("POST", "/api/containers/\(active)/activity", key: token)
                #expect(reported.status == 200)
                let detail = try await service.call("GET", "/api/containers/\(idle)")
                return detail.json["status"] as? String == "stopped" ? detail : nil
            }
            #expect(idleDetail.json["shutdownReason"] as? String == "inactivity")
            #expect(try await service.call("GET", "/api/containers/\(active)").json["status"] as? String == "running")

            let shutdown = try await service.call("POST", "/api/containers/\(active)/inactivity-shutdown", key: token)
            #expect(shutdown.status == 200)
            let final = try await service.call("GET", "/api/containers/\(active)")
            #expect(final.json["status"] as? String == "stopped")
            #expect(final.json["shutdownReason"] as? String == "inactivity_request")
        }
    }

    @Test func expiredWarmContainersAreReplacedWithoutEmptyingThePool() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "WARM_CONTAINER_TTL_SECONDS": "4"])) { service in
            try await service.waitForReady(2)
            let original = Set(try await readyIds(service))
            var lowestReady = Int.max
            _ = try await eventually(within: .seconds(60), every: .milliseconds(100), "the warm containers to be recycled") { () -> Bool? in
                let ready = try await service.pool()["ready"] ?? 0
                lowestReady = min(lowestReady, ready)
                let current = Set(try await readyIds(service))
                return current.count == 2 && current.isDisjoint(with: original) ? true : nil
            }
            #expect(lowestReady > 0, "the pool dropped to zero ready while recycling")
            for id in original {
                let detail = try await service.call("GET", "/api/containers/\(id)")
                #expect(detail.json["shutdownReason"] as? String == "expired")
            }
        }
    }

    @Test func unhealthyRunningContainerIsMarkedThenStoppedAfterGrace() async throws {
        // A frozen agent never answers its flush either: the stop waits WORKSPACE_FLUSH_TIMEOUT for it.
        let settings = Self.settings(["PRE_WARMED_QUEUE_SIZE": "1", "HEALTH_CHECK_TIMEOUT": "300ms", "UNHEALTHY_GRACE_PERIOD": "2s", "WORKSPACE_FLUSH_TIMEOUT": "3s"])
        try await ServiceProcess.run(settings) { service in
            try await service.waitForReady(1)
            let id = try #require(try await service.start(bucket: "frozen-bucket").json["id"] as? String)
            let engine = try TestEnvironment.engine()
            let task = try #require(try await engine.tasks(serviceID: "ide-\(id)", desiredState: "running").first(where: \.isRunning))
            let containerID = try #require(task.status.containerStatus?.containerID)
            try await containerAction(containerID, "pause")
            defer { Task { try? await containerAction(containerID, "unpause") } }

            let detail = try await eventually(within: .seconds(40), "the frozen container to be stopped") { () -> ServiceProcess.Reply? in
                let detail = try await service.call("GET", "/api/containers/\(id)")
                return detail.json["status"] as? String == "stopped" ? detail : nil
            }
            #expect(detail.json["shutdownReason"] as? String == "unhealthy")
            let kinds = (detail.json["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.contains("unhealthy"))
            let flush = (detail.json["events"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "flush_failed" }
            let reason = flush?["reason"] as? String ?? ""
            #expect(reason.hasPrefix("timeout: ") || reason.hasPrefix("unreachable: "), "the frozen agent's flush failed: \(kinds)")
            let health = try #require(detail.json["health"] as? [String: Any])
            #expect((health["consecutiveFailures"] as? Int ?? 0) >= 2)
        }
    }

    @Test func healthChecksAreRecordedPerPort() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "1"])) { service in
            try await service.waitForReady(1)
            let id = try #require(try await readyIds(service).first)
            let health = try await eventually(within: .seconds(20), "a health check to be recorded") { () -> [String: Any]? in
                let health = try await service.call("GET", "/api/containers/\(id)").json["health"] as? [String: Any]
                return health?["lastCheckAt"] is String ? health : nil
            }
            #expect(health["status"] as? String == "healthy")
            #expect(health["consecutiveFailures"] as? Int == 0)
            let ports = try #require(health["ports"] as? [String: Bool])
            #expect(ports == ["agent": true, "code": true, "vnc": true, "web": true])
        }
    }
}

/// Ids of the ready containers of a service.
func readyIds(_ service: ServiceProcess) async throws -> [String] {
    let list = try await service.call("GET", "/api/containers?status=ready&limit=500")
    return (list.json["containers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
}

/// `docker kill` through the Engine API.
func killContainer(_ id: String) async throws {
    try await containerAction(id, "kill")
}

/// `docker kill|pause|unpause` through the Engine API.
func containerAction(_ id: String, _ action: String) async throws {
    let endpoint = try TestEnvironment.endpoint()
    let response = try await CurlHTTPClient().execute(HTTPClientRequest(method: "POST", endpoint: endpoint, path: "/v1.41/containers/\(id)/\(action)", timeout: .seconds(10)))
    #expect(response.status == 204, "\(action) answered \(response.status)")
}
