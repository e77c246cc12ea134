import Synchronization

/// Answers computed from the store, kept while no write has committed since they were computed
/// (`StoreRevision`) and for at most `maxAge`, which bounds how long a change made by another
/// process (an operator's `sqlite3`) goes unseen. Holds at most `capacity` keys.
final class RevisionCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var revision: UInt64
        var computedAt: ContinuousClock.Instant
        var value: Value
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let revision: StoreRevision
    private let capacity: Int
    private let maxAge: Duration

    init(revision: StoreRevision, capacity: Int, maxAge: Duration) {
        self.revision = revision
        self.capacity = capacity
        self.maxAge = maxAge
    }

    /// The kept answer for `key`, or `compute`'s, which is kept for the next callers when
    /// `keep` says so.
    func value(
        for key: Key, now: ContinuousClock.Instant = .now, keep: (Value) -> Bool = { _ in true }, compute: () async throws -> Value
    ) async rethrows -> Value {
        let current = revision.current
        if let entry = entries.withLock({ $0[key] }), entry.revision == current, now - entry.computedAt < maxAge {
            return entry.value
        }
        let value = try await compute()
        guard keep(value) else { return value }
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(revision: current, computedAt: now, value: value)
        }
        return value
    }
}
