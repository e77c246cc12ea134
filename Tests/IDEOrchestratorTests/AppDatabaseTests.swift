import Foundation
import GRDB
import Testing
@testable import IDEOrchestrator

/// The SQLite store: records, transitions with their audit trail, atomic claims and reads.
@Suite struct AppDatabaseTests {
    /// Whole seconds, so dates survive SQLite's millisecond text format unchanged.
    static let base = Date(timeIntervalSince1970: 1_750_000_000)

    static func at(_ seconds: Int) -> Date { base.addingTimeInterval(TimeInterval(seconds)) }

    static func id(_ n: Int) -> String { "ctr" + String(format: "%013d", n) }

    static func record(_ n: Int, pooled: Bool = true, createdAt: Date? = nil) -> ContainerRecord {
        let id = id(n)
        let urls = RoutePlan(domain: "localhost", isPublic: false, certResolver: "le", network: "net").urls(for: id)
        return ContainerRecord(id: id, isPreWarmed: pooled, cpuLimit: 1.5, memoryLimitBytes: 1 << 30, urls: urls, now: createdAt ?? at(n))
    }

    /// Inserts container `n` and walks it to `ready`, with `readyAt` at the given second.
    @discardableResult
    static func insertReady(_ store: AppDatabase, _ n: Int, pooled: Bool = true, readyAt: Int) async throws -> ContainerRecord {
        let record = record(n, pooled: pooled)
        try await store.insert(record, reason: "test")
        try #require(try await store.transition(record.id, from: [.creating], to: .warming, kind: "service_created", at: at(readyAt)) { $0.serviceId = "svc-\(n)" } != nil)
        let ready = try await store.transition(record.id, from: [.warming], to: .ready, kind: "ready", at: at(readyAt)) {
            $0.readyAt = at(readyAt)
            $0.taskAddress = "10.0.0.\(n % 250 + 1)"
        }
        return try #require(ready)
    }

    /// Inserts container `n` and moves it to `status` through legal transitions.
    @discardableResult
    static func insert(_ store: AppDatabase, _ n: Int, status: ContainerStatus, pooled: Bool = true, bucket: String? = nil, userId: String? = nil, assignedAt: Date? = nil) async throws -> ContainerRecord {
        let path: [ContainerStatus] = switch status {
        case .creating: []
        case .warming: [.warming]
        case .ready: [.warming, .ready]
        case .assigning: [.warming, .ready, .assigning]
        case .running: [.warming, .ready, .assigning, .running]
        case .stopping: [.warming, .stopping]
        case .stopped: [.stopped]
        case .failed: [.failed]
        }
        var current = record(n, pooled: pooled)
        try await store.insert(current, reason: "test")
        for next in path {
            let moved = try await store.transition(current.id, from: [current.status], to: next, kind: "test", at: at(n)) {
                if next == .ready { $0.readyAt = at(n) }
                if next == .running {
                    $0.s3Bucket = bucket
                    $0.userId = userId
                    $0.assignedAt = assignedAt ?? at(n)
                }
            }
            current = try #require(moved)
        }
        return current
    }

    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appdb-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    // MARK: - Inserts and transitions

    @Test func everyFieldSurvivesTheRoundTripAndEveryColumnIsWritten() async throws {
        let store = try AppDatabase.inMemory()
        var record = Self.record(2)
        record.serviceId = "svc"; record.s3Bucket = "bucket"; record.s3Region = "eu-west-1"; record.userId = "user"
        record.readyAt = Self.at(1); record.assignedAt = Self.at(2); record.stoppedAt = Self.at(3); record.lastActivityAt = Self.at(4)
        record.shutdownReason = .manual; record.taskAddress = "10.0.0.9"; record.claimMillis = 1.25; record.healthStatus = "healthy"
        record.lastHealthCheckAt = Self.at(5); record.consecutiveHealthFailures = 2; record.healthPorts = "{}"; record.unhealthySince = Self.at(6)
        record.activityTokenHash = "hash"; record.statusSince = Self.at(7); record.ownerEpoch = "run"; record.taskId = "task"
        record.activityTracked = true; record.servedWarm = false
        try await store.insert(record, reason: "round trip")
        #expect(try await store.container(record.id) == record)
        let written = Set(try record.databaseDictionary.keys)
        let columns = try await store.writer.read { db in
            Set(try db.columns(in: ContainerRecord.databaseTableName).map(\.name))
        }
        #expect(columns == written, "columns the row conversion leaves out: \(columns.subtracting(written))")
    }

    @Test func insertWritesACreatedEvent() async throws {
        let store = try AppDatabase.inMemory()
        let record = Self.record(1)
        try await store.insert(record, reason: "pool refill")
        #expect(try await store.container(record.id) == record)
        let events = try await store.events(of: record.id)
        #expect(events.count == 1)
        #expect(events.first?.kind == "created")
        #expect(events.first?.fromStatus == nil)
        #expect(events.first?.toStatus == .creating)
        #expect(events.first?.reason == "pool refill")
    }

    @Test func transitionUpdatesTheRecordAndWritesAnEventWithFromAndTo() async throws {
        let store = try AppDatabase.inMemory()
        let record = Self.record(1)
        try await store.insert(record, reason: "test")
        let warming = try await store.transition(record.id, from: [.creating], to: .warming, kind: "service_created", reason: "made", at: Self.at(10)) {
            $0.serviceId = "svc-1"
        }
        #expect(warming?.status == .warming)
        #expect(warming?.serviceId == "svc-1")
        #expect(try await store.container(record.id) == warming)

        let events = try await store.events(of: record.id)
        #expect(events.map(\.kind) == ["service_created", "created"])
        #expect(events.first?.fromStatus == .creating)
        #expect(events.first?.toStatus == .warming)
        #expect(events.first?.reason == "made")
        #expect(events.first?.at == Self.at(10))
    }

    @Test func stoppingStampsStoppedAt() async throws {
        let store = try AppDatabase.inMemory()
        let record = Self.record(1)
        try await store.insert(record, reason: "test")
        let stopped = try await store.transition(record.id, from: [.creating], to: .stopped, kind: "stopped", at: Self.at(42))
        #expect(stopped?.stoppedAt == Self.at(42))
    }

    @Test func illegalTransitionFromStoppedReturnsNilAndChangesNothing() async throws {
        let store = try AppDatabase.inMemory()
        let stopped = try await Self.insert(store, 1, status: .stopped)
        let eventsBefore = try await store.events(of: stopped.id)

        let result = try await store.transition(stopped.id, from: [.stopped], to: .running, kind: "assigned") { $0.s3Bucket = "hijack" }
        #expect(result == nil)
        #expect(try await store.container(stopped.id) == stopped)
        #expect(try await store.events(of: stopped.id) == eventsBefore)
    }

    @Test func transitionFromAnotherStatusReturnsNilAndChangesNothing() async throws {
        let store = try AppDatabase.inMemory()
        let record = Self.record(1)
        try await store.insert(record, reason: "test")

        let result = try await store.transition(record.id, from: [.ready], to: .assigning, kind: "claimed")
        #expect(result == nil)
        #expect(try await store.container(record.id) == record)
        #expect(try await store.events(of: record.id).count == 1)
    }

    @Test func transitionSkippingALifecycleStepIsRefused() async throws {
        let store = try AppDatabase.inMemory()
        let record = Self.record(1)
        try await store.insert(record, reason: "test")
        // creating may not jump to running, even when the caller lists creating as allowed.
        #expect(try await store.transition(record.id, from: [.creating], to: .running, kind: "assigned") == nil)
        #expect(try await store.container(record.id)?.status == .creating)
    }

    @Test func transitionOfAnUnknownContainerReturnsNil() async throws {
        let store = try AppDatabase.inMemory()
        #expect(try await store.transition("nosuchcontainer1", from: Set(ContainerStatus.allCases), to: .stopped, kind: "stopped") == nil)
    }

    @Test func stoppedAndFailedHaveNoSuccessors() {
        #expect(ContainerStatus.stopped.successors.isEmpty)
        #expect(ContainerStatus.failed.successors.isEmpty)
        for status in ContainerStatus.allCases where status.isLive {
            #expect(status.successors.contains(.stopped))
            #expect(status.successors.contains(.failed))
        }
    }

    // MARK: - Claims

    static let epoch = Epoch(id: "epoch-tests")

    static func intent(_ bucket: String = "bucket-a", userId: String? = nil, epoch: Epoch = epoch) -> ClaimIntent {
        ClaimIntent(bucket: bucket, region: "us-east-1", userId: userId, activityTokenHash: "hash", activityTracked: false, epoch: epoch)
    }

    @Test func claimTakesTheOldestReadyContainerAndMarksItAssigning() async throws {
        let store = try AppDatabase.inMemory()
        try await Self.insertReady(store, 1, readyAt: 300)
        let oldest = try await Self.insertReady(store, 2, readyAt: 100)
        try await Self.insertReady(store, 3, readyAt: 200)

        let claimed = try #require(try await store.claim(Self.intent(), at: Self.at(500)))
        #expect(claimed.id == oldest.id)
        #expect(claimed.status == .assigning)
        #expect(try await store.container(oldest.id)?.status == .assigning)

        let event = try #require(try await store.events(of: oldest.id).first)
        #expect(event.kind == "claimed")
        #expect(event.fromStatus == .ready)
        #expect(event.toStatus == .assigning)

        #expect(try await store.claim(Self.intent("bucket-b"))?.id == Self.id(3))
        #expect(try await store.claim(Self.intent("bucket-c"))?.id == Self.id(1))
        #expect(try await store.claim(Self.intent("bucket-d")) == nil)
    }

    /// A bucket has at most one live container: the claim checks it in its own transaction.
    @Test func claimOfABucketALiveContainerHoldsClaimsNothing() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await Self.insertReady(store, 1, readyAt: 100)
        try await Self.insert(store, 2, status: .running, bucket: "bucket-a")
        await #expect(throws: BucketHeld(bucket: "bucket-a")) { try await store.claim(Self.intent("bucket-a")) }
        #expect(try await store.container(ready.id)?.status == .ready)
        #expect(try await store.events(of: ready.id).allSatisfy { $0.kind != "claimed" })
        // Once its holder has stopped, the bucket can be claimed.
        try #require(try await store.transition(Self.id(2), from: [.running], to: .stopped, kind: "test") != nil)
        #expect(try await store.claim(Self.intent("bucket-a"))?.id == ready.id)
    }

    /// Issue 7, item 2: the bucket, user, claim time and owner are committed with the claim,
    /// before the agent is called, so a crash after the agent accepted leaves them on record.
    @Test func claimCommitsItsIntentBeforeTheAgentIsCalled() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await Self.insertReady(store, 1, readyAt: 1)
        _ = try #require(try await store.claim(Self.intent("bucket-x", userId: "user-9"), at: Self.at(50)))
        let stored = try #require(try await store.container(ready.id))
        #expect(stored.status == .assigning)
        #expect(stored.s3Bucket == "bucket-x")
        #expect(stored.userId == "user-9")
        #expect(stored.assignedAt == Self.at(50))
        #expect(stored.ownerEpoch == Self.epoch.id)
        #expect(stored.statusSince == Self.at(50))
        #expect(try await store.bucketHolders(bucket: "bucket-x").map(\.id) == [ready.id])
    }

    /// A cold start that lost its race joins the pool: any ready container can be claimed.
    @Test func claimTakesAColdStartThatIsReady() async throws {
        let store = try AppDatabase.inMemory()
        let cold = try await Self.insertReady(store, 1, pooled: false, readyAt: 1)
        #expect(try await store.claim(Self.intent())?.id == cold.id)
    }

    @Test func claimSkipsSuspectContainers() async throws {
        let store = try AppDatabase.inMemory()
        let suspect = try await Self.insertReady(store, 1, readyAt: 1)
        try await store.update(suspect.id) { $0.healthStatus = "unhealthy" }
        #expect(try await store.claim(Self.intent()) == nil)
    }

    @Test func releasePutsAClaimBackWithoutItsIntentOnlyForItsOwner() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await Self.insertReady(store, 1, readyAt: 1)
        _ = try #require(try await store.claim(Self.intent()))
        #expect(try await store.release(ready.id, epoch: Epoch(id: "someone-else"), reason: "test") == nil)
        let released = try #require(try await store.release(ready.id, epoch: Self.epoch, reason: "test"))
        #expect(released.status == .ready)
        #expect(released.s3Bucket == nil)
        #expect(released.activityTokenHash == nil)
        #expect(released.healthStatus == "unhealthy")
    }

    /// Issue 7, item 1: a transition decided on an old observation changes nothing.
    @Test func transitionIsACompareAndSetOnTheObservedStatusAndCondition() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await Self.insertReady(store, 1, readyAt: 1)
        _ = try #require(try await store.claim(Self.intent()))
        // A pass that saw it ready now tries to fail it: nothing happens.
        #expect(try await store.transition(ready.id, from: [.ready], to: .failed, kind: "failed") == nil)
        #expect(try await store.container(ready.id)?.status == .assigning)
        #expect(try await store.transition(ready.id, from: [.assigning], to: .running, kind: "assigned", when: .matching { $0.ownerEpoch == "other" }) == nil)
        #expect(try await store.transition(ready.id, from: [.assigning], to: .running, kind: "assigned", when: .matching { $0.ownerEpoch == Self.epoch.id })?.status == .running)
    }

    @Test func healthResultsApplyOnlyToTheObservedStatus() async throws {
        let store = try AppDatabase.inMemory()
        let a = try await Self.insertReady(store, 1, readyAt: 1)
        let b = try await Self.insertReady(store, 2, readyAt: 2)
        _ = try await store.claim(Self.intent()) // takes a
        let updated = try await store.recordHealth([
            HealthResult(id: a.id, observedStatus: .ready, ports: ["agent": false]),
            HealthResult(id: b.id, observedStatus: .ready, ports: ["agent": false]),
        ], at: Self.at(9))
        #expect(updated.map(\.id) == [b.id])
        #expect(try await store.container(a.id)?.consecutiveHealthFailures == 0)
        #expect(try await store.container(b.id)?.consecutiveHealthFailures == 1)
    }

    @Test func claimIgnoresContainersThatAreNotReady() async throws {
        let store = try AppDatabase.inMemory()
        for (n, status) in [ContainerStatus.creating, .warming, .assigning, .running, .stopping, .stopped, .failed].enumerated() {
            try await Self.insert(store, n, status: status)
        }
        #expect(try await store.claim(Self.intent()) == nil)
    }

    @Test func concurrentClaimsNeverShareAContainer() async throws {
        try await Self.withTemporaryDirectory { directory in
            let store = try AppDatabase.open(path: directory.appendingPathComponent("claims.db").path)
            for n in 0..<10 { try await Self.insertReady(store, n, readyAt: n) }

            let results = try await withThrowingTaskGroup(of: ContainerRecord?.self) { group in
                for n in 0..<50 { group.addTask { try await store.claim(Self.intent("bucket-\(n)")) } }
                var results: [ContainerRecord?] = []
                for try await result in group { results.append(result) }
                return results
            }
            let claimed = results.compactMap { $0?.id }
            #expect(claimed.count == 10)
            #expect(Set(claimed).count == 10)
            #expect(Set(claimed) == Set((0..<10).map(Self.id)))
            #expect(results.filter { $0 == nil }.count == 40)
            #expect(try await store.poolCounts().ready == 0)
            #expect(try await store.containers(in: [.assigning]).count == 10)
            for id in claimed {
                #expect(try await store.events(of: id).filter { $0.kind == "claimed" }.count == 1)
            }
        }
    }

    // MARK: - Reads

    @Test func poolCountsSplitLaunchesByOriginCountEveryReadyAndSkipEndedContainers() async throws {
        let store = try AppDatabase.inMemory()
        try await Self.insert(store, 1, status: .creating)
        try await Self.insert(store, 2, status: .warming)
        try await Self.insert(store, 3, status: .warming)
        try await Self.insert(store, 4, status: .ready)
        try await Self.insert(store, 5, status: .ready)
        try await Self.insert(store, 6, status: .ready)
        try await Self.insert(store, 7, status: .assigning)
        try await Self.insert(store, 8, status: .running)
        try await Self.insert(store, 9, status: .running, pooled: false)
        try await Self.insert(store, 10, status: .creating, pooled: false)
        try await Self.insert(store, 11, status: .warming, pooled: false)
        try await Self.insert(store, 15, status: .ready, pooled: false)
        try await Self.insert(store, 12, status: .stopping)
        try await Self.insert(store, 13, status: .stopped)
        try await Self.insert(store, 14, status: .failed)

        let counts = try await store.poolCounts()
        #expect(counts == PoolCounts(creating: 1, warming: 2, ready: 4, assigned: 3, coldStarting: 2, stopping: 1))
        #expect(counts.pooled == 7)
    }

    @Test func emptyStoreCountsNothing() async throws {
        #expect(try await AppDatabase.inMemory().poolCounts() == PoolCounts())
    }

    @Test func containersArePagedNewestFirstWithTheTotal() async throws {
        let store = try AppDatabase.inMemory()
        for n in 1...7 { try await store.insert(Self.record(n), reason: "test") }

        let first = try await store.containers(status: nil, limit: 3, offset: 0)
        #expect(first.total == 7)
        #expect(first.records.map(\.id) == [7, 6, 5].map(Self.id))
        let second = try await store.containers(status: nil, limit: 3, offset: 3)
        #expect(second.records.map(\.id) == [4, 3, 2].map(Self.id))
        let last = try await store.containers(status: nil, limit: 3, offset: 6)
        #expect(last.records.map(\.id) == [Self.id(1)])
        #expect(last.total == 7)
        let beyond = try await store.containers(status: nil, limit: 3, offset: 50)
        #expect(beyond.records.isEmpty)
        #expect(beyond.total == 7)
    }

    @Test func containersFilterByStatusAndCountOnlyMatches() async throws {
        let store = try AppDatabase.inMemory()
        for n in 1...4 { try await Self.insert(store, n, status: .running) }
        for n in 5...6 { try await Self.insert(store, n, status: .stopped) }

        let running = try await store.containers(status: .running, limit: 2, offset: 0)
        #expect(running.total == 4)
        #expect(running.records.map(\.id) == [4, 3].map(Self.id))
        let stopped = try await store.containers(status: .stopped, limit: 50, offset: 0)
        #expect(stopped.total == 2)
        #expect(Set(stopped.records.map(\.status)) == [.stopped])
        #expect(try await store.containers(status: .ready, limit: 50, offset: 0).total == 0)
    }

    @Test func liveAssignmentsListEveryAssignedHolderOfABucketNewestFirst() async throws {
        let store = try AppDatabase.inMemory()
        let older = try await Self.insert(store, 1, status: .running, bucket: "bucket-a", userId: "user-1", assignedAt: Self.at(100))
        try await Self.insert(store, 2, status: .stopped)
        try await Self.insert(store, 3, status: .running, bucket: "bucket-b", userId: "user-2")
        let newer = try await Self.insert(store, 4, status: .running, bucket: "bucket-a", assignedAt: Self.at(200))
        let stopped = try await Self.insert(store, 5, status: .running, bucket: "bucket-a")
        _ = try await store.transition(stopped.id, from: [.running], to: .stopping, kind: "stopping")

        #expect(try await store.bucketHolders(bucket: "bucket-a").map(\.id) == [newer.id, older.id])
        #expect(try await store.bucketHolders(bucket: "bucket-c").isEmpty)
    }

    // MARK: - File

    @Test func openedDatabaseUsesWriteAheadLogging() async throws {
        try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("nested/dir/containers.db").path
            let store = try AppDatabase.open(path: path)
            let mode = try await store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode?.lowercased() == "wal")
            #expect(FileManager.default.fileExists(atPath: path))
            try await store.check()
        }
    }

    @Test func reopeningKeepsTheDataAndMigratesOnce() async throws {
        try await Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("containers.db").path
            let record = Self.record(1)
            do {
                let store = try AppDatabase.open(path: path)
                try await store.insert(record, reason: "test")
            }
            let reopened = try AppDatabase.open(path: path)
            #expect(try await reopened.container(record.id) == record)
        }
    }
}
