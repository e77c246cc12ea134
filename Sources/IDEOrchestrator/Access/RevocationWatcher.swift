import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Ends the sessions of every container that leaves service, whatever stopped it (a `DELETE`,
/// an idle shutdown, a replaced unhealthy container, the reconciler, a failure): it follows the
/// store's event log, where every such change is written with the intent, before the service is
/// removed. At start it revokes the containers stopped within a session's lifetime.
public struct RevocationWatcher: Service {
    /// Statuses that end a container's sessions.
    static let ending: Set<ContainerStatus> = [.stopping, .stopped, .failed]

    let store: AppDatabase
    let access: RouteAccess
    let interval: Duration
    let logger: Logger

    /// A watcher reading new events every `interval`.
    public init(store: AppDatabase, access: RouteAccess, interval: Duration = .milliseconds(200), logger: Logger) {
        self.store = store
        self.access = access
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var cursor = try await store.latestEventID()
        let since = Date().addingTimeInterval(-Double(access.settings.sessionTTL.components.seconds))
        for record in try await store.containers(in: Self.ending) where record.status == .stopping || (record.stoppedAt ?? Date()) > since {
            access.revoke(record.id)
        }
        var seen: UInt64?
        for try await _ in AsyncTimerSequence(interval: interval, clock: ContinuousClock()).cancelOnGracefulShutdown() {
            // No commit since the last read: no new event to read.
            let revision = store.revision.current
            guard revision != seen else { continue }
            seen = revision
            cursor = await pass(after: cursor)
        }
    }

    /// Revokes the containers of the events after `cursor`; returns the new cursor.
    func pass(after cursor: Int64) async -> Int64 {
        var cursor = cursor
        do {
            while true {
                let events = try await store.events(after: cursor, limit: 500)
                for event in events where event.toStatus.map(Self.ending.contains) == true {
                    access.revoke(event.containerId)
                }
                cursor = events.last?.id ?? cursor
                if events.count < 500 { break }
            }
        } catch {
            logger.warning("Session revocation could not read events", metadata: ["error": "\(error)"])
        }
        return cursor
    }
}
