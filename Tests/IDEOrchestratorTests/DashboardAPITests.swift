import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// The routes and fields the dashboard added: search, record deletion, pool statistics, nodes,
/// recent events.
@Suite struct DashboardAPITests {
    typealias Harness = APIRouterTests.Harness

    static func stoppedContainer(_ harness: Harness, bucket: String? = nil) async throws -> ContainerRecord {
        let record = try await harness.insertReadyPoolContainer()
        if let bucket {
            _ = try await harness.store.update(record.id) { $0.s3Bucket = bucket }
        }
        return try #require(try await harness.store.transition(record.id, from: [.ready], to: .stopped, kind: "stopped", reason: "manual"))
    }

    @Test func searchMatchesIdPrefixOrBucketPartAndTakesWildcardsLiterally() async throws {
        let harness = try Harness()
        let alpha = try await Self.stoppedContainer(harness, bucket: "course-alpha")
        _ = try await Self.stoppedContainer(harness, bucket: "course_beta")
        _ = try await Self.stoppedContainer(harness, bucket: "other")
        try await harness.test { client in
            func ids(_ query: String) async throws -> [String] {
                let response = try await client.execute(uri: "/api/containers?\(query)", method: .get, headers: APIRouterTests.keyOne)
                #expect(response.status == .ok)
                let body = try APIRouterTests.json(response)
                return (body["containers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await ids("q=ALPHA") == [alpha.id])
            #expect(try await ids("q=course").count == 2)
            #expect(try await ids("q=e_b").count == 1)  // "_" is a character here, not a wildcard
            #expect(try await ids("q=%25").isEmpty)
            #expect(try await ids("q=\(alpha.id.prefix(6))") == [alpha.id])
            #expect(try await ids("q=\(alpha.id.dropFirst(2))").isEmpty)  // ids match from their start only
            let long = try await client.execute(uri: "/api/containers?q=\(String(repeating: "a", count: 129))", method: .get, headers: APIRouterTests.keyOne)
            try APIRouterTests.expectError(long, .badRequest, code: "INVALID_QUERY")
        }
    }

    @Test func summaryCarriesTheHealthVerdict() async throws {
        let harness = try Harness()
        let record = try await harness.insertReadyPoolContainer()
        _ = try await harness.store.update(record.id) { $0.healthStatus = "healthy" }
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers", method: .get, headers: APIRouterTests.keyOne)
            let first = try #require((try APIRouterTests.json(response)["containers"] as? [[String: Any]])?.first)
            #expect(first["healthStatus"] as? String == "healthy")
        }
    }

    @Test func deletingARecordRefusesLiveContainersAndForgetsStoppedOnes() async throws {
        let harness = try Harness()
        let live = try await harness.insertReadyPoolContainer()
        let stopped = try await Self.stoppedContainer(harness)
        try await harness.test { client in
            let refused = try await client.execute(uri: "/api/containers/\(live.id)/record", method: .delete, headers: APIRouterTests.keyOne)
            try APIRouterTests.expectError(refused, .conflict, code: "CONTAINER_LIVE")
            #expect(try await harness.store.container(live.id)?.status == .ready)
            let deleted = try await client.execute(uri: "/api/containers/\(stopped.id)/record", method: .delete, headers: APIRouterTests.keyOne)
            #expect(deleted.status == .ok)
            #expect(try APIRouterTests.json(deleted)["id"] as? String == stopped.id)
            #expect(try await harness.store.container(stopped.id) == nil)
            #expect(try await harness.store.events(of: stopped.id).isEmpty)
            let again = try await client.execute(uri: "/api/containers/\(stopped.id)/record", method: .delete, headers: APIRouterTests.keyOne)
            try APIRouterTests.expectError(again, .notFound, code: "CONTAINER_NOT_FOUND")
        }
    }

    @Test func queueCountsEveryStatusAndClaimsPerMinute() async throws {
        let harness = try Harness()
        _ = try await harness.insertReadyPoolContainer()
        let claimed = try await harness.insertReadyPoolContainer()
        _ = try await harness.store.update(claimed.id) { $0.assignedAt = Date() }
        _ = try await Self.stoppedContainer(harness)
        try await harness.test { client in
            let body = try APIRouterTests.json(try await client.execute(uri: "/api/queue", method: .get, headers: APIRouterTests.keyOne))
            let byStatus = try #require(body["byStatus"] as? [String: Int])
            #expect(Set(byStatus.keys) == Set(ContainerStatus.allCases.map(\.rawValue)))
            #expect(byStatus["ready"] == 2 && byStatus["stopped"] == 1 && byStatus["failed"] == 0)
            let minutes = try #require(body["claimsPerMinute"] as? [[String: Any]])
            #expect(minutes.count == 30)
            // The claim is in the current minute, or the one before when a minute began
            // between the claim and the request.
            let recent = minutes.suffix(2).compactMap { $0["warm"] as? Int }.reduce(0, +)
            #expect(recent == 1)
            #expect(minutes.dropLast(2).allSatisfy { $0["warm"] as? Int == 0 && $0["cold"] as? Int == 0 })
            #expect(minutes.suffix(2).allSatisfy { $0["cold"] as? Int == 0 })
        }
    }

    @Test func claimsPerMinuteBucketsByMinuteAndOrigin() async throws {
        let store = try AppDatabase.inMemory()
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // a minute boundary
        for (offset, warm) in [(-30.0, true), (-20.0, false), (-90.0, true), (-3600.0, true)] {
            let id = ContainerID.generate()
            var record = ContainerRecord(id: id, isPreWarmed: warm, cpuLimit: 1, memoryLimitBytes: 1, urls: .init(codeServer: "", vnc: "", webServer: ""), now: now)
            record.assignedAt = now.addingTimeInterval(offset)
            try await store.insert(record, reason: "test")
        }
        let minutes = try await store.claimsPerMinute(minutes: 3, now: now)
        #expect(minutes.map(\.minute) == [-120.0, -60, 0].map { now.addingTimeInterval($0) })
        #expect(minutes.map(\.warm) == [1, 1, 0])
        #expect(minutes.map(\.cold) == [0, 1, 0])
    }

    @Test func nodesShowTheEngineAndAnswerEvenWithoutNodes() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/api/nodes", method: .get, headers: APIRouterTests.keyOne)
            #expect(response.status == .ok)
            let body = try APIRouterTests.json(response)
            let engine = try #require(body["engine"] as? [String: Any])
            #expect(engine["reachable"] as? Bool == true)
            #expect(engine["version"] as? String == "fake-1.0")
            let host = try #require(body["host"] as? [String: Any])
            #expect(Set(host.keys) == ["memoryPercent", "cpuPercent", "maxMemoryPercent", "maxCpuPercent", "spawnAllowed", "reason", "sampledAt"])
            #expect((body["nodes"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func recentEventsAnswerAfterAnIdOrTheLatest() async throws {
        let harness = try Harness()
        _ = try await harness.insertReadyPoolContainer()  // created, service_created, ready
        try await harness.test { client in
            let latest = try APIRouterTests.json(try await client.execute(uri: "/api/events/recent?limit=2", method: .get, headers: APIRouterTests.keyOne))
            let events = try #require(latest["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["id"] as? Int } == [2, 3])
            #expect(Set(events[0].keys) == ["id", "containerId", "at", "kind", "fromStatus", "toStatus", "reason"])
            #expect(latest["latestId"] as? Int == 3)
            let after = try APIRouterTests.json(try await client.execute(uri: "/api/events/recent?after=1", method: .get, headers: APIRouterTests.keyOne))
            #expect((after["events"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [2, 3])
            let bad = try await client.execute(uri: "/api/events/recent?after=x", method: .get, headers: APIRouterTests.keyOne)
            try APIRouterTests.expectError(bad, .badRequest, code: "INVALID_QUERY")
        }
    }
}
