import Foundation
import GRDB

extension AppDatabase {
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
}
