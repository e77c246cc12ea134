import Foundation
import Testing
@testable import IDEOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// Issue 23 against the real Swarm and the real binary: one live container per bucket (a late
/// agent answer, DELETE then an immediate start, a stop racing a reuse; a watcher over every
/// running task's agent all along), and adoption after a lost database that trusts nothing a
/// tenant controls, ending within its deadline.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct OwnershipIntegrationTests {
    static func settings(_ extra: [String: String]) -> [String: String] {
        RecoveryTests.fast.merging(["BUCKET_RELEASE_TIMEOUT": "30s"].merging(extra) { _, new in new }) { _, new in new }
    }

    static func agentCall(_ service: ServiceProcess, _ id: String, _ path: String, token: String? = nil) async throws -> Int {
        let address = try await LifecycleIntegrationTests.address(of: id, service)
        let bearer = token ?? service.agentToken(for: id) ?? ""
        return try await CurlHTTPClient().execute(HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):3000"), path: path, headers: [(name: "Authorization", value: "Bearer \(bearer)")], timeout: .seconds(5)
        )).status
    }

    @Test func anAgentThatAnswersTooLateIsGoneBeforeAnotherContainerTakesTheBucket() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "1", "AGENT_TIMEOUT": "1s", "CLAIM_MAX_ATTEMPTS": "3"])) { service in
            try await service.waitForReady(1)
            let late = try #require(try await readyIds(service).first)
            // The dev agent takes the assignment at once and answers 4 s later, past AGENT_TIMEOUT.
            #expect(try await Self.agentCall(service, late, "/dev/assign-delay/4000") == 200)
            let watch = BucketHolderWatch(service)
            let reply = try await watch.during { try await service.start(bucket: "late-bucket") }
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.json["id"] as? String != late)
            #expect(watch.violations.isEmpty, "\(watch.violations.prefix(3))")
            let detail = try await service.call("GET", "/api/containers/\(late)")
            #expect(detail.json["status"] as? String == "failed")
            let gone = await #expect(throws: DockerError.self) { try await TestEnvironment.engine().service("ide-\(late)") }
            #expect(gone?.code == .serviceNotFound)
        }
    }

    @Test func deleteThenAnImmediateStartOfTheSameBucketNeverRunsTwo() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2"])) { service in
            try await service.waitForReady(2)
            let watch = BucketHolderWatch(service)
            try await watch.during {
                let first = try #require(try await service.start(bucket: "delete-bucket").json["id"] as? String)
                let deleted = try await service.call("DELETE", "/api/containers/\(first)")
                #expect(deleted.status == 200, "\(deleted.text)")
                let again = try await service.start(bucket: "delete-bucket")
                #expect(again.status == 201, "\(again.text)")
                #expect(again.json["id"] as? String != first)
            }
            #expect(watch.violations.isEmpty, "\(watch.violations.prefix(3))")
            #expect(watch.most["delete-bucket"] == 1)
        }
    }

    @Test func aStopRacingAReuseNeverRunsTwo() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2"])) { service in
            try await service.waitForReady(2)
            let watch = BucketHolderWatch(service)
            for round in 0..<3 {
                let bucket = "race-bucket-\(round)"
                try await watch.during {
                    let first = try #require(try await service.start(bucket: bucket, extra: #","userId":"racer""#).json["id"] as? String)
                    async let stop = service.call("DELETE", "/api/containers/\(first)")
                    async let reuse = service.start(bucket: bucket, extra: #","userId":"racer""#)
                    let (stopped, reused) = try await (stop, reuse)
                    #expect(stopped.status == 200, "\(stopped.text)")
                    #expect([200, 201].contains(reused.status), "\(reused.text)")
                }
                try await service.waitForReady(2)
            }
            #expect(watch.violations.isEmpty, "\(watch.violations.prefix(3))")
        }
    }

    @Test func afterALostDatabaseATamperedAgentsFreeAnswerNeverGetsItHandedOut() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2"])) { service in
            try await service.waitForReady(2)
            let labelled = try #require(try await service.start(bucket: "tamper-labelled", extra: #","userId":"user-l""#).json["id"] as? String)
            let stripped = try #require(try await service.start(bucket: "tamper-stripped").json["id"] as? String)
            let engine = try TestEnvironment.engine()
            _ = try await eventually(within: .seconds(20), "both assignments labelled") { () -> Bool? in
                let a = try await engine.service("ide-\(labelled)").spec.labels[AssignmentLabels.bucket]
                let b = try await engine.service("ide-\(stripped)").spec.labels[AssignmentLabels.bucket]
                return a == "tamper-labelled" && b == "tamper-stripped" ? true : nil
            }
            // One label write never landed (the process died first); both agents now lie that they are free.
            try await Self.removeAssignmentLabels(of: "ide-\(stripped)")
            for id in [labelled, stripped] { #expect(try await Self.agentCall(service, id, "/dev/lie-free") == 200) }
            let taskBefore = try await engine.tasks(serviceID: "ide-\(labelled)", desiredState: "running").first?.id

            service.stop(signal: SIGKILL)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(at: service.directory.appendingPathComponent("containers.db\(suffix)")) }
            try await service.launch()

            let decided = try await eventually(within: .seconds(30), "both adopted services decided") { () -> (ServiceProcess.Reply, ServiceProcess.Reply)? in
                let a = try await service.call("GET", "/api/containers/\(labelled)")
                let b = try await service.call("GET", "/api/containers/\(stripped)")
                return a.status == 200 && b.json["status"] as? String == "stopped" ? (a, b) : nil
            }
            #expect(decided.0.json["status"] as? String == "running")
            #expect(decided.0.json["s3Bucket"] as? String == "tamper-labelled")
            #expect(decided.0.json["userId"] as? String == "user-l")
            #expect(decided.1.json["shutdownReason"] as? String == "orphaned")
            #expect(try await engine.tasks(serviceID: "ide-\(labelled)", desiredState: "running").first?.id == taskBefore, "labelling never restarted the task")
            try await service.waitForReady(2)
            for n in 0..<3 {
                let other = try await service.start(bucket: "someone-new-\(n)")
                #expect(other.status == 201, "\(other.text)")
                #expect(![labelled, stripped].contains(other.json["id"] as? String ?? ""), "a tampered container was handed out")
            }
            // Its owner's next start is no 409: the container is reused, or replaced if the health
            // monitor found its agent's answers wrong (it denies the assignment its labels record).
            let again = try await service.start(bucket: "tamper-labelled", extra: #","userId":"user-l""#)
            #expect([200, 201].contains(again.status), "\(again.text)")
            #expect(try await LifecycleIntegrationTests.holders(of: "tamper-labelled", service).count == 1)
        }
    }

    @Test func theTokenKeyLostWithTheDatabaseEveryOldServiceIsDecidedWithinTheDeadline() async throws {
        try await ServiceProcess.run(Self.settings(["PRE_WARMED_QUEUE_SIZE": "2", "IDLE_TIMEOUT_SECONDS": "3600"])) { service in
            try await service.waitForReady(2)
            let assigned = try #require(try await service.start(bucket: "key-lost", extra: #","userId":"user-k""#).json["id"] as? String)
            try await service.waitForReady(2)
            let engine = try TestEnvironment.engine()
            _ = try await eventually(within: .seconds(20), "the assignment labelled") { () -> Bool? in
                try await engine.service("ide-\(assigned)").spec.labels[AssignmentLabels.bucket] == "key-lost" ? true : nil
            }
            let old = try await engine.services(labels: [ServiceBlueprint.instanceLabel: service.instance]).compactMap { $0.spec.labels[ServiceBlueprint.idLabel] }
            #expect(old.count == 3)

            service.stop(signal: SIGKILL)
            for name in ["containers.db", "containers.db-wal", "containers.db-shm", "agent-token.key"] {
                try? FileManager.default.removeItem(at: service.directory.appendingPathComponent(name))
            }
            let restarted = ContinuousClock.now
            try await service.launch()
            // Stated deadline: the first reconcile pass that sees a running task (RECONCILE_INTERVAL
            // 2 s here, plus one agent call); every old service has a record by then.
            let records = try await eventually(within: .seconds(20), "every old service decided") { () -> [String: [String: Any]]? in
                var found: [String: [String: Any]] = [:]
                for id in old {
                    let detail = try await service.call("GET", "/api/containers/\(id)")
                    guard detail.status == 200 else { return nil }
                    found[id] = detail.json
                }
                return found
            }
            let took = ContinuousClock.now - restarted
            #expect(took < .seconds(15), "decided in \(took)")
            #expect(records[assigned]?["status"] as? String == "running")
            #expect(records[assigned]?["s3Bucket"] as? String == "key-lost")
            for id in old where id != assigned {
                // Their agents answer 401 to the new key: kept without a bucket, never handed out.
                #expect(records[id]?["status"] as? String == "running")
                #expect(records[id]?["s3Bucket"] == nil || records[id]?["s3Bucket"] is NSNull)
            }
            let reuse = try await service.start(bucket: "key-lost", extra: #","userId":"user-k""#)
            #expect(reuse.status == 200 && reuse.json["id"] as? String == assigned, "\(reuse.text)")
        }
    }

    /// Removes the assignment labels of a service as if their write never landed, editing the
    /// spec as the engine returned it (so the task is not restarted).
    static func removeAssignmentLabels(of name: String) async throws {
        let service = try #require(try JSONSerialization.jsonObject(with: Data(try await EngineRaw.get("/services/\(name)").utf8)) as? [String: Any])
        var spec = try #require(service["Spec"] as? [String: Any])
        let version = try #require((service["Version"] as? [String: Any])?["Index"] as? Int)
        var labels = spec["Labels"] as? [String: String] ?? [:]
        for key in [AssignmentLabels.bucket, AssignmentLabels.region, AssignmentLabels.user, AssignmentLabels.prefix] { labels[key] = nil }
        spec["Labels"] = labels
        let response = try await CurlHTTPClient().execute(HTTPClientRequest(
            method: "POST", endpoint: try TestEnvironment.endpoint(), path: "/v1.41/services/\(name)/update?version=\(version)",
            headers: [(name: "Content-Type", value: "application/json")], body: try JSONSerialization.data(withJSONObject: spec), timeout: .seconds(10)
        ))
        #expect(response.isSuccess, "label removal answered \(response.status)")
    }
}
