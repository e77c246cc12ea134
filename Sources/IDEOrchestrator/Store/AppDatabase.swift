import Foundation
import GRDB

/// The service's state: containers and their audit trail, in SQLite.
///
/// Every operation is one transaction; every status change writes an event in it.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter
    /// Moves on at every commit: what the caches below check.
    let revision = StoreRevision()
    /// The live counts `/api/health` and `/api/queue` show, kept until the next commit.
    private let liveCounts: RevisionCache<String, PoolCounts>

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it; throws
    /// `StoreOpenError` saying why when it cannot.
    public static func open(path: String) throws(StoreOpenError) -> AppDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreOpenError(path: path, reason: "its directory \(directory.path) cannot be created (\(StoreOpenError.firstFileInTheWay(of: directory.path).map { "\($0) is not a directory" } ?? "\(error)"))")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // 1 MiB of page cache per connection (SQLite's default is 2 MiB, times six connections):
        // the hot pages are the live records, a few hundred at most. `WALCheckpointer` copies
        // the log back; a commit does it only past the backstop.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -1024; PRAGMA wal_autocheckpoint = \(walBackstopPages)")
        }
        do {
            return try AppDatabase(DatabasePool(path: path, configuration: configuration))
        } catch let error as DatabaseError {
            let what = switch error.resultCode {
            case .SQLITE_NOTADB: "the file is not an SQLite database"
            case .SQLITE_CANTOPEN: "the file cannot be opened or created (a directory, or no write permission)"
            case .SQLITE_READONLY, .SQLITE_PERM: "the file is not writable"
            default: "SQLite cannot use it"
            }
            throw StoreOpenError(path: path, reason: "\(what) (SQLite error \(error.resultCode.rawValue): \(error.message ?? "no message"))")
        } catch {
            throw StoreOpenError(path: path, reason: "\(error)")
        }
    }

    /// The log's size in pages past which a commit checkpoints it itself (SQLite's default is
    /// 1,000): reached only when `WALCheckpointer` falls behind.
    static let walBackstopPages = 10_000

    /// An empty in-memory database, for unit tests.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        liveCounts = RevisionCache(revision: revision, capacity: 1, maxAge: .seconds(1))
        writer.add(transactionObserver: revision, extent: .databaseLifetime)
        try Self.migrator.migrate(writer)
    }

    /// Answers when the database can be read.
    public func check() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: - Writes

    /// Stores a new container with a `created` event.
    public func insert(_ record: ContainerRecord, reason: String) async throws {
        _ = try await insertIfAbsent(record, reason: reason)
    }

    /// Stores a new container unless one with its id exists; returns whether it was stored.
    public func insertIfAbsent(_ record: ContainerRecord, reason: String) async throws -> Bool {
        try await writer.write { db in
            guard try !ContainerRecord.isStored(db, id: record.id) else { return false }
            try record.insert(db)
            try ContainerEvent.append(db, containerId: record.id, at: record.createdAt, kind: "created", to: record.status, reason: reason)
            return true
        }
    }

    /// Moves a container to `status` if it is still in one of `from` (the status the caller
    /// observed) and `when` holds for it, applying `change`: a compare-and-set, decided inside
    /// the write transaction, so an action planned on old data changes nothing.
    ///
    /// Returns the updated record, or nil when the container is missing, moved on, or `when`
    /// is false. `epoch` marks the run that owns the new status's in-flight step.
    @discardableResult
    public func transition(
        _ id: String,
        from: Set<ContainerStatus>,
        to status: ContainerStatus,
        kind: String,
        reason: String? = nil,
        at now: Date = Date(),
        epoch: Epoch? = nil,
        when condition: RecordCheck = .always,
        change: @Sendable (inout ContainerRecord) -> Void = { _ in }
    ) async throws -> ContainerRecord? {
        try await writer.write { db in
            try Self.transition(db, id, from: from, to: status, kind: kind, reason: reason, at: now, epoch: epoch, when: condition.holds, change: change)
        }
    }

    static func transition(
        _ db: Database, _ id: String, from: Set<ContainerStatus>, to status: ContainerStatus, kind: String, reason: String?,
        at now: Date, epoch: Epoch?, when condition: (ContainerRecord) -> Bool, change: (inout ContainerRecord) -> Void
    ) throws -> ContainerRecord? {
        guard let stored = try ContainerRecord.fetch(db, id: id),
              from.contains(stored.status),
              stored.status == status || stored.status.successors.contains(status),
              condition(stored)
        else { return nil }
        var record = stored
        let previous = record.status
        record.status = status
        if previous != status { record.statusSince = now }
        record.ownerEpoch = epoch?.id
        if !status.isLive, record.stoppedAt == nil { record.stoppedAt = now }
        change(&record)
        try record.save(db, over: stored)
        try ContainerEvent.append(db, containerId: id, at: now, kind: kind, from: previous, to: status, reason: reason)
        return record
    }

    /// Updates fields that are not a status change (health figures, activity, addresses), if
    /// the container is still in one of `statuses`.
    @discardableResult
    public func update(
        _ id: String, in statuses: Set<ContainerStatus> = ContainerStatus.live, event: (kind: String, reason: String?)? = nil,
        at now: Date = Date(), change: @Sendable (inout ContainerRecord) -> Void
    ) async throws -> ContainerRecord? {
        try await writer.write { db in
            guard let stored = try ContainerRecord.fetch(db, id: id), statuses.contains(stored.status) else { return nil }
            var record = stored
            change(&record)
            try record.save(db, over: stored)
            if let event {
                try ContainerEvent.append(db, containerId: id, at: now, kind: event.kind, reason: event.reason)
            }
            return record
        }
    }

    /// Takes the oldest healthy ready container (pool or a cold start that lost its race) and
    /// commits the claim's intent with it: `assigning`, bucket, user, token hash and claim time,
    /// owned by `intent.epoch`. Containers ready since before `freshSince` are stale and never
    /// handed out; suspect ones (`healthStatus` unhealthy) wait for a health check.
    ///
    /// A bucket has at most one live container: when one already holds the intent's bucket,
    /// nothing is claimed and `BucketHeld` is thrown (the caller settles the holder first).
    public func claim(_ intent: ClaimIntent, freshSince: Date? = nil, at now: Date = Date()) async throws -> ContainerRecord? {
        try await writer.write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: RecordStatements.bucketHeld), arguments: [intent.bucket]) == false else {
                throw BucketHeld(bucket: intent.bucket)
            }
            guard let candidate = try ContainerRecord.fetchOne(
                db, sql: RecordStatements.claimCandidate(fresh: freshSince != nil), arguments: StatementArguments(freshSince.map { [StoredDate.databaseValue($0)] } ?? [])
            ) else { return nil }
            return try Self.transition(db, candidate.id, from: [.ready], to: .assigning, kind: "claimed", reason: "bucket \(intent.bucket)", at: now, epoch: intent.epoch, when: { _ in true }) {
                intent.apply(to: &$0, at: now)
            }
        }
    }

    /// Puts a claimed container back in the pool because the assignment never reached its
    /// agent; it is suspect (skipped by claims) until a health check clears it.
    @discardableResult
    public func release(_ id: String, epoch: Epoch, reason: String, at now: Date = Date()) async throws -> ContainerRecord? {
        try await transition(id, from: [.assigning], to: .ready, kind: "released", reason: reason, at: now, when: .matching { $0.ownerEpoch == epoch.id }) {
            ClaimIntent.clear(&$0)
            $0.healthStatus = "unhealthy"
        }
    }

    /// Writes one health round in one transaction; each result applies only while the
    /// container is still in the status the round observed. Returns the updated records.
    public func recordHealth(_ results: [HealthResult], at now: Date = Date()) async throws -> [ContainerRecord] {
        try await writer.write { db in
            var updated: [ContainerRecord] = []
            for result in results {
                guard let stored = try ContainerRecord.fetch(db, id: result.id), stored.status == result.observedStatus else { continue }
                var record = stored
                result.apply(to: &record, at: now)
                try record.save(db, over: stored)
                updated.append(record)
            }
            return updated
        }
    }

    // MARK: - Reads

    /// One container.
    public func container(_ id: String) async throws -> ContainerRecord? {
        try await writer.read { db in try ContainerRecord.fetch(db, id: id) }
    }

    /// A page of containers, newest first, with the total matching count.
    public func containers(status: ContainerStatus?, limit: Int, offset: Int) async throws -> (records: [ContainerRecord], total: Int) {
        try await containers(status: status, search: nil, limit: limit, offset: offset)
    }

    /// Containers in any of the given statuses.
    public func containers(in statuses: Set<ContainerStatus>) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.filter(statuses.contains(ContainerRecord.Columns.status)).order(ContainerRecord.Columns.createdAt).fetchAll(db)
        }
    }

    /// The containers holding this bucket, whatever their user: assigned ones, and ended ones
    /// whose service is not yet confirmed gone.
    public func bucketHolders(bucket: String) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.fetchAll(db, sql: RecordStatements.liveAssignments, arguments: [bucket])
        }
    }

    /// How many containers are in each status; launches are split by pool and cold start,
    /// and ready containers (of either origin) ready since before `staleBefore` count as stale.
    /// Without `staleBefore` the answer is reused until the store changes.
    public func poolCounts(staleBefore: Date? = nil) async throws -> PoolCounts {
        guard let staleBefore else {
            return try await liveCounts.value(for: "live") { try await countPool(staleBefore: .distantPast) }
        }
        return try await countPool(staleBefore: staleBefore)
    }

    private func countPool(staleBefore: Date) async throws -> PoolCounts {
        try await writer.read { db in
            // `IN` the live statuses reads them through the status index; `NOT IN` the ended
            // ones would scan every record the store keeps.
            let live = ContainerStatus.live.map(\.rawValue).sorted()
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT status, isPreWarmed, (status = 'ready' AND readyAt < ?) AS stale, COUNT(*) AS n FROM container
                WHERE status IN (\(databaseQuestionMarks(count: live.count))) GROUP BY status, isPreWarmed, stale
                """), arguments: StatementArguments([StoredDate.databaseValue(staleBefore)]) + StatementArguments(live))
            var counts = PoolCounts()
            for row in rows {
                let status = ContainerStatus(rawValue: row["status"]) ?? .failed
                let n: Int = row["n"]
                let pooled: Bool = row["isPreWarmed"]
                let stale: Bool = row["stale"] ?? false
                counts.add(status, pooled: pooled, stale: stale, count: n)
            }
            return counts
        }
    }

    /// Ready containers, oldest first (`stale`: ready since before the cutoff) or newest first.
    public func readyPoolContainers(readyBefore cutoff: Date?) async throws -> [ContainerRecord] {
        try await writer.read { db in
            var request = ContainerRecord.filter(ContainerRecord.Columns.status == ContainerStatus.ready)
            if let cutoff {
                request = request.filter(ContainerRecord.Columns.readyAt < StoredDate.databaseValue(cutoff)).order(ContainerRecord.Columns.readyAt)
            } else {
                request = request.order(ContainerRecord.Columns.readyAt.desc)
            }
            return try request.fetchAll(db)
        }
    }

    /// Records with these ids, whatever their status.
    public func containers(ids: [String]) async throws -> [String: ContainerRecord] {
        try await writer.read { db in
            let records = try ContainerRecord.fetchAll(db, keys: ids)
            return Dictionary(records.map { ($0.id, $0) }) { a, _ in a }
        }
    }

    /// Deletes stopped and failed records (and their events) that stopped before `cutoff` and
    /// no longer hold their bucket.
    @discardableResult
    public func pruneStopped(before cutoff: Date) async throws -> Int {
        try await writer.write { db in
            try ContainerRecord
                .filter([ContainerStatus.stopped, .failed].contains(ContainerRecord.Columns.status))
                .filter(ContainerRecord.Columns.stoppedAt < StoredDate.databaseValue(cutoff))
                // A record whose service is not confirmed gone still holds its bucket.
                .filter(sql: "serviceId IS NULL OR serviceRemovedAt IS NOT NULL")
                .deleteAll(db)
        }
    }

    /// The most recent events of one container, newest first.
    public func events(of id: String, limit: Int = 50) async throws -> [ContainerEvent] {
        try await writer.read { db in
            try ContainerEvent.filter(ContainerEvent.Columns.containerId == id)
                .order(ContainerEvent.Columns.at.desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// The most recently assigned containers.
    public func recentClaims(limit: Int) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.filter(ContainerRecord.Columns.assignedAt != nil)
                .order(ContainerRecord.Columns.assignedAt.desc).limit(limit).fetchAll(db)
        }
    }
}

/// Live containers per status, for the pool and `/api/health`.
public struct PoolCounts: Sendable, Equatable {
    /// Pool containers being created.
    public var creating = 0
    /// Pool containers waiting for their agent.
    public var warming = 0
    /// Containers ready to claim (fresh and stale), whichever launch made them.
    public var ready = 0
    /// Ready pool containers past the warm TTL, waiting to be recycled.
    public var staleReady = 0
    /// Containers of any origin being assigned or running.
    public var assigned = 0
    /// Cold starts still launching.
    public var coldStarting = 0
    /// Containers being stopped.
    public var stopping = 0

    /// Pool containers that count toward the target: stale ones are being replaced.
    public var pooled: Int { creating + warming + ready - staleReady }

    /// Ready pool containers within the warm TTL.
    public var freshReady: Int { ready - staleReady }

    mutating func add(_ status: ContainerStatus, pooled: Bool, stale: Bool = false, count: Int) {
        switch status {
        case .creating where pooled: creating += count
        case .warming where pooled: warming += count
        case .ready:
            ready += count
            if stale { staleReady += count }
        case .creating, .warming: coldStarting += count
        case .assigning, .running: assigned += count
        case .stopping: stopping += count
        case .stopped, .failed: break
        }
    }
}
