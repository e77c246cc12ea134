import Foundation
import Synchronization

/// Containers whose sessions have ended: stopped, stopping, failed or deleted. A session cookie
/// of a container listed here is refused at once, although its MAC still holds. Entries are
/// dropped once every cookie issued before them has expired (`IDE_SESSION_TTL`).
public final class Revocations: Sendable {
    private let keep: TimeInterval
    private let revoked = Mutex([String: Date]())

    /// Entries kept for `sessionTTL`.
    public init(sessionTTL: Duration) {
        keep = Double(sessionTTL.components.seconds)
    }

    /// Ends every session of container `id`.
    public func revoke(_ id: String, now: Date = Date()) {
        revoked.withLock { revoked in
            if revoked[id] == nil && revoked.count % 1024 == 1023 {
                revoked = revoked.filter { now.timeIntervalSince($0.value) < keep }
            }
            revoked[id] = revoked[id] ?? now
        }
    }

    /// Whether container `id`'s sessions have ended.
    public func isRevoked(_ id: String) -> Bool {
        revoked.withLock { $0[id] != nil }
    }
}
