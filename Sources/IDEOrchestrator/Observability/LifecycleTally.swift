import Foundation

/// What one audit event adds to the lifecycle metrics: the single place that maps the store's
/// event vocabulary to counters and histograms.
enum LifecycleTally: Equatable, Sendable {
    case created(ContainerOrigin)
    case claimed(ClaimStart, duration: Duration?)
    case warmedUp(Duration)
    case replaced
    case failed
    case stopped(reason: String)

    /// The increments an event stands for (none for most events).
    static func of(_ event: LifecycleEvent) -> [LifecycleTally] {
        var tallies: [LifecycleTally] = []
        switch event.kind {
        case "created":
            if event.reason?.hasPrefix("adopted") == true {
                tallies.append(.created(.adopted))
            } else {
                tallies.append(.created(event.isPreWarmed == false ? .cold : .pool))
            }
        case "assigned" where event.toStatus == .running:
            let duration = event.claimMillis.map { Duration.microseconds(Int64(($0 * 1000).rounded())) }
            tallies.append(.claimed((event.servedWarm ?? event.isPreWarmed) == false ? .cold : .warm, duration: duration))
        case "ready" where event.toStatus == .ready:
            if let created = event.createdAt, let ready = event.readyAt, ready >= created {
                tallies.append(.warmedUp(.milliseconds(Int64((ready.timeIntervalSince(created) * 1000).rounded()))))
            }
        default:
            break
        }
        let leavesPool = event.fromStatus == .ready && (event.toStatus.map { [.stopping, .stopped, .failed].contains($0) } ?? false)
        if leavesPool, stopReason(event) != ShutdownReason.surplus.rawValue {
            tallies.append(.replaced)
        }
        if event.toStatus == .failed, event.fromStatus != .failed {
            tallies.append(.failed)
        }
        if event.toStatus == .stopped, event.fromStatus != .stopped {
            tallies.append(.stopped(reason: stopReason(event) ?? "unknown"))
        }
        return tallies
    }

    /// The shutdown reason: the record's, or (pruned or not yet set) the event reason's leading word.
    private static func stopReason(_ event: LifecycleEvent) -> String? {
        if let reason = event.shutdownReason { return reason.rawValue }
        guard let text = event.reason else { return nil }
        let head = String(text.prefix { $0 != ":" })
        return ShutdownReason(rawValue: head)?.rawValue
    }
}
