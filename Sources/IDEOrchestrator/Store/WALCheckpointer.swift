import AsyncAlgorithms
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log back into the database file from a connection of its own, soon
/// after each change, so that no claim's commit does it. SQLite otherwise checkpoints inside the
/// commit that takes the log past 1,000 pages (every 60 or so claims): copying 4 MB and two
/// fsyncs on the writer, which held every claim behind it for 30-40 ms here. A passive
/// checkpoint waits for no reader or writer; the writer's own checkpoint stays as a backstop
/// at `AppDatabase.walBackstopPages`.
public struct WALCheckpointer: Service {
    let path: String
    let revision: StoreRevision
    let interval: Duration
    let logger: Logger

    /// A checkpointer for the file `store` was opened at (`AppDatabase.open(path:)`).
    public init(store: AppDatabase, interval: Duration = .milliseconds(200), logger: Logger) {
        self.path = store.writer.path
        self.revision = store.revision
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "wal-checkpointer"
        let connection: DatabaseQueue
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            // Not a reason to stop serving: commits still checkpoint past the backstop.
            logger.warning("WAL checkpointer unavailable; commits checkpoint the log themselves", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        // The first tick checkpoints what an earlier run left in the log.
        var checkpointed: UInt64?
        for try await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            let current = revision.current
            guard current != checkpointed else { continue }
            do {
                try await connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
                checkpointed = current
            } catch {
                logger.debug("WAL checkpoint failed; the next change retries", metadata: ["error": "\(error)"])
            }
        }
    }
}
