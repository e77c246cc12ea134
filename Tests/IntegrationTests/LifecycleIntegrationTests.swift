import Foundation
import Testing
@testable import IDEOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// Issue 7 against the real Swarm and the real binary: crashes while an assignment is in
/// flight, a killed assigned container, and a lost database.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct LifecycleIntegrationTests {
    static func settings(_ extra: [String: String]) -> [String: String] {
        RecoveryTests.fast.merging(extra) { _, new in new }
    }

    /// Live records holding `bucket`, from the API.
    static func holders(of bucket: String, _ service: ServiceProcess) async throws -> [[String: Any]] {
        let page = try await service.call("GET", "/api/containers?limit=500").json["containers"] as? [[String: Any]] ?? []
        return page.filter { $0["s3Bucket"] as? String == bucket && ["assigning", "running"].contains($0["status"] as? String ?? "") }
    }

    static func address(of id: String, _ service: ServiceProcess) async throws -> String {
        try #require(try await service.call("GET", "/api/containers/\(id)").json["taskAddress"] as? String)
    }

    @Test func killNineWhileAnAssignmentIsInFlightThenRestartLeavesOneContainerForTheBucket() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "AGENT_TIMEOUT": "60s"])) { service in
            try await service.waitForReady(2)
            for id in try await readyIds(service) {
                // The dev agent takes the assignment at once and answers 20 s later.
                let held = try await CurlHTTPClient().execute(HTTPClientRequest(method: "POST", endpoint: .tcp(baseURL: "http://\(try await Self.address(of: id, service)):3000"), path: "/dev/assign-delay/20000", headers: [(name: "Authorization", value: "Bearer \(service.agentToken(for: id) ?? "")")], timeout: .seconds(5)))
                #expect(held.status == 200)
            }
            let inFlight = Task { try await service.start(bucket: "crash-bucket") }
            _ = try await eventually(within: .seconds(15), "the claim to be in flight") { () -> Bool? in
                let assigning = try await service.call("GET", "/api/containers?status=assigning").json["total"] as? Int
                return assigning == 1 ? true : nil
            }
            service.stop(signal: SIGKILL)
            _ = try? await inFlight.value
            try await service.launch()

            _ = try await eventually(within: .seconds(30), "no record left assigning") { () -> Bool? in
                try await service.call("GET", "/api/containers?status=assigning").json["total"] as? Int == 0 ? true : nil
            }
            let retry = try await service.start(bucket: "crash-bucket")
            #expect([200, 201].contains(retry.status), "retry: \(retry.text)")
            let holders = try await Self.holders(of: "crash-bucket", service)
            #expect(holders.count == 1, "holders: \(holders)")
            #expect(holders.first?["id"] as? String == retry.json["id"] as? String)
        }
    }

    @Test func dockerKillOfAnAssignedContainerEndsItWithItsReasonAndItIsNotHandedOutAgain() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "RECONCILE_INTERVAL": "30s"])) { service in
            try await service.waitForReady(2)
            let id = try #require(try await service.start(bucket: "killed-bucket").json["id"] as? String)
            let engine = try TestEnvironment.engine()
            let task = try #require(try await engine.tasks(serviceID: "ide-\(id)", desiredState: "running").first(where: \.isRunning))
            try await killContainer(try #require(task.status.containerStatus?.containerID))

            let detail = try await eventually(within: .seconds(20), "the assigned container to be ended") { () -> ServiceProcess.Reply? in
                let detail = try await service.call("GET", "/api/containers/\(id)")
                return detail.json["status"] as? String == "stopped" ? detail : nil
            }
            #expect(detail.json["shutdownReason"] as? String == "container_restarted")
            let retry = try await service.start(bucket: "killed-bucket")
            #expect(retry.status == 201, "retry: \(retry.text)")
            #expect(retry.json["id"] as? String != id)
            #expect(retry.json["isReused"] as? Bool == false)
            _ = try await eventually(within: .seconds(20), "the ended container's service to go") { () -> Bool? in
                try await service.services().contains { $0.spec.name == "ide-\(id)" } ? nil : true
            }
        }
    }

    @Test func afterTheDatabaseIsLostAssignedContainersAreAdoptedAsRunningWithTheirBuckets() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "1"])) { service in
            try await service.waitForReady(1)
            let first = try #require(try await service.start(bucket: "kept-bucket-1").json["id"] as? String)
            try await service.waitForReady(1)
            let second = try #require(try await service.start(bucket: "kept-bucket-2").json["id"] as? String)
            try await service.waitForReady(1)

            service.stop(signal: SIGKILL)
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(at: service.directory.appendingPathComponent("containers.db\(suffix)"))
            }
            try await service.launch()

            _ = try await eventually(within: .seconds(30), "both sessions adopted as running with their buckets") { () -> Bool? in
                let a = try await service.call("GET", "/api/containers/\(first)").json
                let b = try await service.call("GET", "/api/containers/\(second)").json
                return a["status"] as? String == "running" && a["s3Bucket"] as? String == "kept-bucket-1"
                    && b["status"] as? String == "running" && b["s3Bucket"] as? String == "kept-bucket-2" ? true : nil
            }
            let fresh = try await service.start(bucket: "new-bucket")
            #expect(fresh.status == 201, "fresh: \(fresh.text)")
            #expect(![first, second].contains(fresh.json["id"] as? String ?? ""))
            let reused = try await service.start(bucket: "kept-bucket-1")
            #expect(reused.json["id"] as? String == first)
            #expect(reused.json["isReused"] as? Bool == true)
        }
    }
}
