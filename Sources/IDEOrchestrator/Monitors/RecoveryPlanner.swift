import Foundation

/// Every non-terminal status has a way out with a deadline. Pure: given the live records,
/// the current run and the time, it says which records nobody will move on by themselves.
///
/// | status | stuck when | recovery |
/// | --- | --- | --- |
/// | `creating`, `warming` | older than its launch timeout (`CONTAINER_READY_TIMEOUT`, or `COLD_START_TIMEOUT` for a cold start) plus the margin | fail, remove the service |
/// | `assigning` | taken by an earlier run, or older than `AGENT_TIMEOUT` × `CLAIM_MAX_ATTEMPTS` plus the margin | ask the agent: `running` if it holds the bucket, else fail |
/// | `stopping` | begun by an earlier run, no longer being stopped by this run (say, the engine could not remove its service), or older than `WORKSPACE_FLUSH_TIMEOUT` plus the margin | flush and remove the service again, then `stopped` |
///
/// `ready` and `running` are steady: the health monitor, the reconciler and the housekeeper
/// watch them.
public enum RecoveryPlanner {
    /// Slack on top of every deadline.
    public static let margin: TimeInterval = 30

    /// The deadlines recovery works with.
    public struct Deadlines: Sendable {
        /// A pool launch's timeout.
        public var poolLaunch: TimeInterval
        /// A cold start's timeout.
        public var coldLaunch: TimeInterval
        /// How long a claim may spend on agent calls.
        public var assignment: TimeInterval
        /// How long a stop may wait for its workspace flush.
        public var flush: TimeInterval = 0

        /// Deadlines from the settings.
        public init(settings: Settings) {
            poolLaunch = settings.readyTimeout.seconds
            coldLaunch = settings.coldStartTimeout.seconds
            assignment = settings.agentTimeout.seconds * Double(settings.claimMaxAttempts)
            flush = settings.workspace.flushTimeout.seconds
        }

        /// Explicit deadlines, in seconds.
        public init(poolLaunch: TimeInterval, coldLaunch: TimeInterval, assignment: TimeInterval) {
            self.poolLaunch = poolLaunch
            self.coldLaunch = coldLaunch
            self.assignment = assignment
        }
    }

    /// One recovery.
    public enum Action: Sendable, Equatable {
        /// A launch nobody finishes: fail it.
        case failLaunch(ContainerRecord, detail: String)
        /// An interrupted assignment: resolve it with the agent.
        case resolveAssignment(ContainerRecord)
        /// An interrupted stop: finish it.
        case finishStop(ContainerRecord)
    }

    /// The recoveries due now. `stopsUnderWay`: the ids this run's stopper is stopping right now.
    public static func plan(_ records: [ContainerRecord], epoch: Epoch, now: Date, deadlines: Deadlines, stopsUnderWay: Set<String> = []) -> [Action] {
        records.compactMap { record in
            let age = now.timeIntervalSince(record.statusSince ?? record.createdAt)
            switch record.status {
            case .creating, .warming:
                let limit = (record.isPreWarmed ? deadlines.poolLaunch : deadlines.coldLaunch) + margin
                return age > limit ? .failLaunch(record, detail: "still \(record.status.rawValue) after \(Int(age)) s (limit \(Int(limit)) s)") : nil
            case .assigning:
                return record.ownerEpoch != epoch.id || age > deadlines.assignment + margin ? .resolveAssignment(record) : nil
            case .stopping:
                // A stop of this run may still be waiting for its flush; one it gave up on (the
                // engine could not remove the service) is finished at once.
                let abandoned = record.ownerEpoch != epoch.id || !stopsUnderWay.contains(record.id)
                return abandoned || age > deadlines.flush + margin ? .finishStop(record) : nil
            case .ready, .running, .stopped, .failed:
                return nil
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: TimeInterval {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
