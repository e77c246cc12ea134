import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// The agent's `sync` object: read leniently, kept per container only when it changes, shown in
/// the container detail and counted in a gauge.
@Suite struct WorkspaceSyncTests {
    static func health(_ json: String) async -> AgentHealth? {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 200, body: Data(json.utf8)))
        return await HTTPAgentClient(http: http, timeout: .seconds(1)).health(address: "10.0.0.1", port: 3100, containerId: "c")
    }

    @Test func aWellFormedSyncObjectIsRead() async throws {
        let health = try #require(await Self.health(#"""
            {"status":"ok","assigned":true,"bucket":"ws-1","lastActivityAt":null,"sync":{"state":"ready","lastPushAt":"2026-12-06T03:00:00Z",
             "lastPullAt":"2026-12-06T03:00:05.5Z","pendingChanges":3,"conflicts":1,"error":null}}
            """#))
        #expect(health.assigned == true && health.bucket == "ws-1")
        let sync = try #require(health.sync)
        #expect(sync.state == .ready)
        #expect(sync.lastPushAt == RFC3339.date("2026-12-06T03:00:00Z"))
        #expect(sync.lastPullAt != nil)
        #expect(sync.pendingChanges == 3 && sync.conflicts == 1 && sync.error == nil)
    }

    @Test(arguments: [
        #"{"assigned":true,"sync":"ready"}"#, #"{"assigned":true,"sync":{"state":"exploding"}}"#, #"{"assigned":true,"sync":{"state":7}}"#,
        #"{"assigned":true,"sync":[1,2]}"#, #"{"assigned":true,"sync":null}"#, #"{"assigned":true}"#,
    ])
    func garbageInSyncIsIgnoredWithoutLosingTheRestOfTheAnswer(json: String) async throws {
        let health = try #require(await Self.health(json))
        #expect(health.assigned == true)
        #expect(health.sync == nil)
    }

    @Test func hostileFieldsAreClampedOrDropped() async throws {
        let long = String(repeating: "x", count: 5000)
        let health = try #require(await Self.health(#"""
            {"assigned":true,"sync":{"state":"error","lastPushAt":"yesterday","lastPullAt":12,"pendingChanges":-4,"conflicts":1e300,
             "error":"line one\nline two\u0007 \#(long)"}}
            """#))
        let sync = try #require(health.sync)
        #expect(sync.state == .error)
        #expect(sync.lastPushAt == nil && sync.lastPullAt == nil)
        #expect(sync.pendingChanges == nil)
        #expect(sync.conflicts == 1_000_000_000)
        let error = try #require(sync.error)
        #expect(error.count == WorkspaceSync.maxErrorLength)
        #expect(!error.contains("\n") && !error.contains("\u{07}"))
        #expect(error.hasPrefix("line one line two"))
    }

    @Test func theStoredTextRoundTripsAndIsStable() throws {
        let sync = WorkspaceSync(state: .hydrating, lastPushAt: Date(timeIntervalSince1970: 1_800_000_000), pendingChanges: 2, error: "slow")
        let text = try #require(sync.storedText)
        #expect(WorkspaceSync(storedText: text) == sync)
        #expect(sync.storedText == text)
        #expect(WorkspaceSync(storedText: "not json") == nil)
        #expect(WorkspaceSync(storedText: nil) == nil)
    }

    @Test func aHealthRoundKeepsTheLatestStateAndWritesItOnlyWhenItChanges() async throws {
        let lab = try WorkspaceFlushTests.Lab()
        let record = try await lab.running()
        let address = try #require(record.taskAddress)
        let monitor = HealthMonitor(lab.orchestrator, probe: AgentOnlyProbe(agent: lab.agent))
        lab.agent.reportSync(WorkspaceSync(state: .hydrating), at: address)
        await monitor.checkAll()
        #expect(WorkspaceSync(storedText: try await lab.store.container(record.id)?.workspaceSync)?.state == .hydrating)
        lab.agent.reportSync(WorkspaceSync(state: .ready, pendingChanges: 0), at: address)
        await monitor.checkAll()
        let stored = try #require(try await lab.store.container(record.id))
        #expect(WorkspaceSync(storedText: stored.workspaceSync) == WorkspaceSync(state: .ready, pendingChanges: 0))
        // An unchanged state leaves the column as it is: the round changes only the check's own fields.
        var next = stored
        HealthResult(id: record.id, observedStatus: .running, ports: ["agent": true], workspaceSync: WorkspaceSync(state: .ready, pendingChanges: 0).storedText)
            .apply(to: &next, at: Date())
        let changed = zip(ContainerRecord.storedColumns, zip(next.storedValues, stored.storedValues)).filter { $0.1.0 != $0.1.1 }.map(\.0)
        #expect(!changed.contains("workspaceSync"))
        #expect(Set(changed).isSubset(of: ["lastHealthCheckAt", "healthPorts", "healthStatus", "consecutiveHealthFailures"]))
        // An agent that stops reporting keeps the last state known.
        lab.agent.reportSync(nil, at: address)
        await monitor.checkAll()
        #expect(try await lab.store.container(record.id)?.workspaceSync == stored.workspaceSync)
    }

    @Test func theDetailShowsTheWorkspaceAndTheGaugeCountsStates() async throws {
        let lab = try WorkspaceFlushTests.Lab()
        let first = try await lab.running("bucket-one")
        let second = try await lab.running("bucket-two")
        _ = try await lab.running("bucket-three")
        try await lab.store.update(first.id, in: [.running]) {
            $0.workspaceSync = WorkspaceSync(state: .error, conflicts: 2, error: "the bucket refused the push").storedText
            $0.workspacePrefix = "courses/cs101/"
            $0.credentialsExpireAt = Date(timeIntervalSince1970: 1_800_000_000)
        }
        try await lab.store.update(second.id, in: [.running]) { $0.workspaceSync = WorkspaceSync(state: .ready).storedText }
        let app = Application(router: buildRouter(lab.orchestrator))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/containers/\(first.id)", method: .get, headers: [.authorization: "Bearer key-one"])
            #expect(response.status == .ok)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            let workspace = try #require(object["workspace"] as? [String: Any])
            #expect(workspace["prefix"] as? String == "courses/cs101/")
            #expect(workspace["agentPort"] as? Int == 3000)
            #expect(workspace["credentialsExpireAt"] as? String == "2027-01-15T08:00:00.000Z")
            let sync = try #require(workspace["sync"] as? [String: Any])
            #expect(sync["state"] as? String == "error")
            #expect(sync["error"] as? String == "the bucket refused the push")
            #expect(sync["conflicts"] as? Int == 2)
            #expect(sync.keys.sorted() == ["conflicts", "error", "lastPullAt", "lastPushAt", "pendingChanges", "state"])
            #expect(sync["lastPushAt"] is NSNull)
            let plain = try await client.execute(uri: "/api/containers/\(second.id)", method: .get, headers: [.authorization: "Bearer key-one"])
            let plainWorkspace = try #require((try JSONSerialization.jsonObject(with: Data(plain.body.readableBytesView)) as? [String: Any])?["workspace"] as? [String: Any])
            #expect(plainWorkspace["prefix"] is NSNull && plainWorkspace["credentialsExpireAt"] is NSNull)
        }
        await lab.orchestrator.collector.collect()
        let samples = Sample.parse(lab.orchestrator.metrics.render())
        let family = "ide_orchestrator_workspace_sync_containers"
        #expect(Sample.value(samples, family, ["state": "error"]) == 1)
        #expect(Sample.value(samples, family, ["state": "ready"]) == 1)
        #expect(Sample.value(samples, family, ["state": "unknown"]) == 1)
        #expect(Sample.value(samples, family, ["state": "hydrating"]) == 0)
        #expect(Sample.value(samples, family, ["state": "idle"]) == 0)
    }
}
