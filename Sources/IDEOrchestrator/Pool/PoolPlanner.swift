/// Decides how many containers the pool should start now. Pure: no I/O, no clock.
public enum PoolPlanner {
    /// What the maintainer observed.
    public struct Observation: Sendable, Equatable {
        /// Ready containers wanted.
        public var target: Int
        /// Pool containers creating, warming or ready.
        public var pooled: Int
        /// Launches this maintainer has under way.
        public var inFlight: Int
        /// Launches allowed at once.
        public var concurrency: Int
        /// Why resources forbid spawning, if they do.
        public var resourceBlock: String?
        /// Whether the maintainer is backing off after failures.
        public var backingOff: Bool
        /// New containers that failed in a row (launches, and warm ones failed before a claim).
        public var failures: Int
        /// Why the last of them failed.
        public var lastFailure: String?

        /// Creates an observation.
        public init(
            target: Int, pooled: Int, inFlight: Int, concurrency: Int, resourceBlock: String? = nil, backingOff: Bool = false,
            failures: Int = 0, lastFailure: String? = nil
        ) {
            self.target = target
            self.pooled = pooled
            self.inFlight = inFlight
            self.concurrency = concurrency
            self.resourceBlock = resourceBlock
            self.backingOff = backingOff
            self.failures = failures
            self.lastFailure = lastFailure
        }

        /// Why the pool cannot fill because its new containers fail, or nil when they do not.
        public var failureReason: String? {
            guard failures > 0 else { return nil }
            let last = lastFailure.map { " (last: \($0.prefix(300)))" } ?? ""
            return "\(failures) new container\(failures == 1 ? "" : "s") failed in a row\(last); backing off and launching one at a time until one is ready"
        }
    }

    /// What to do.
    public enum Decision: Sendable, Equatable {
        /// Start this many containers.
        case spawn(Int)
        /// The pool is short but must wait, for this reason.
        case wait(String)
        /// The pool is full.
        case nothing
    }

    /// Plans the next step. While new containers keep failing (a broken image, say), the pool
    /// stops filling: it backs off, then tries one launch at a time until one is ready.
    public static func plan(_ observed: Observation) -> Decision {
        let deficit = observed.target - observed.pooled
        guard deficit > 0 else { return .nothing }
        if let block = observed.resourceBlock { return .wait(block) }
        if observed.backingOff { return .wait(observed.failureReason ?? "backing off after repeated launch failures") }
        let slots = (observed.failures > 0 ? 1 : observed.concurrency) - observed.inFlight
        guard slots > 0 else { return .wait(observed.failureReason ?? "\(observed.inFlight) launches already under way") }
        return .spawn(min(deficit, slots))
    }

    /// How many ready containers to retire: stale ones (past the warm TTL) only while the
    /// ready count stays at the target, so the pool never drops to zero; then any fresh
    /// surplus beyond the target.
    public static func retirements(target: Int, freshReady: Int, staleReady: Int) -> (stale: Int, surplus: Int) {
        let stale = min(staleReady, max(0, freshReady + staleReady - target))
        let surplus = max(0, freshReady - target)
        return (stale, surplus)
    }
}
