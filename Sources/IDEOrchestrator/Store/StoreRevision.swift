import GRDB
import Synchronization

/// Counts the write transactions this process commits to the store, so a reader can tell
/// without a query whether anything it computed from the store may be out of date.
final class StoreRevision: TransactionObserver, Sendable {
    private let commits = Atomic<UInt64>(0)

    /// Changes after every commit; read it before the query whose answer it labels.
    var current: UInt64 { commits.load(ordering: .acquiring) }

    // No row events are needed (and asking for none keeps SQLite's truncate optimization): any
    // commit counts, even one that changed nothing.
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.add(1, ordering: .releasing) }
    func databaseDidRollback(_ db: Database) {}
}
