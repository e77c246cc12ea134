import Logging
import ServiceLifecycle
import Synchronization

/// Work done off the request path (service and secret removals, cold-start launches), run by
/// at most `workers` tasks at once in the order it came. A job that reports failure is tried
/// again after a backoff that doubles from `retry.initial` up to `retry.maximum`, at most
/// `retry.attempts` times in all; after that the reconciler's next pass finishes what is left.
///
/// Workers start on demand, so the queue works without `run()` (as in unit tests); `run()`
/// waits for the graceful shutdown, then drops what is queued and cancels the jobs under way
/// (a removal is idempotent and a launch interrupted this way is resumed by the next start).
public final class BackgroundWork: Service, Sendable {
    /// How a failed job is tried again.
    public struct Retry: Sendable {
        /// Tries in all, the first included.
        public var attempts: Int
        /// The pause after the first failure.
        public var initial: Duration
        /// The longest pause.
        public var maximum: Duration

        /// Creates a policy.
        public init(attempts: Int, initial: Duration, maximum: Duration) {
            self.attempts = max(1, attempts)
            self.initial = initial
            self.maximum = maximum
        }

        /// Removals: five tries over about a quarter of a minute.
        public static let removal = Retry(attempts: 5, initial: .milliseconds(500), maximum: .seconds(8))
        /// One try.
        public static let once = Retry(attempts: 1, initial: .zero, maximum: .zero)

        /// The pause after `failures` failed tries.
        func delay(after failures: Int) -> Duration {
            min(maximum, initial * (1 << min(failures - 1, 20)))
        }
    }

    /// A job: returns whether it is done (false: try again after the backoff).
    public typealias Job = @Sendable () async -> Bool

    private struct State {
        var queue: [(name: String, job: Job)] = []
        var workers: [Int: Task<Void, Never>] = [:]
        var nextWorker = 0
        var closed = false
        var running = 0
        var mostRunning = 0
    }

    private let name: String
    private let limit: Int
    private let retry: Retry
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a queue run by at most `workers` tasks.
    public init(_ name: String, workers: Int, retry: Retry, logger: Logger) {
        self.name = name
        self.limit = max(1, workers)
        self.retry = retry
        self.logger = logger
    }

    /// Jobs queued or under way.
    public var pending: Int { state.withLock { $0.queue.count + $0.running } }
    /// The most jobs that ever ran at once.
    public var mostRunning: Int { state.withLock { $0.mostRunning } }

    /// Queues a job; dropped once the service is shutting down.
    public func submit(_ what: String, _ job: @escaping Job) {
        let started = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.queue.append((what, job))
            guard state.workers.count < limit else { return true }
            let id = state.nextWorker
            state.nextWorker += 1
            state.workers[id] = Task { await self.work(id) }
            return true
        }
        if !started { logger.debug("Background job dropped during shutdown", metadata: ["queue": "\(name)", "job": "\(what)"]) }
    }

    /// Runs until the graceful shutdown, then cancels what is left.
    public func run() async throws {
        try? await gracefulShutdown()
        shutDown()
    }

    /// Drops the queue and cancels the jobs under way.
    public func shutDown() {
        let workers = state.withLock { state in
            state.closed = true
            state.queue = []
            return Array(state.workers.values)
        }
        for worker in workers { worker.cancel() }
    }

    private func work(_ id: Int) async {
        while let (what, job) = next(worker: id) {
            defer { state.withLock { $0.running -= 1 } }
            var failures = 0
            while !Task.isCancelled, !(await job()) {
                failures += 1
                guard failures < retry.attempts else {
                    logger.warning("Background job gave up; the reconciler finishes it", metadata: ["queue": "\(name)", "job": "\(what)", "tries": "\(failures)"])
                    break
                }
                try? await Task.sleep(for: retry.delay(after: failures))
            }
        }
    }

    /// The next job for worker `id`, or nil (the worker leaves) when there is none.
    private func next(worker id: Int) -> (String, Job)? {
        state.withLock { state in
            guard !state.closed, !state.queue.isEmpty else {
                state.workers[id] = nil
                return nil
            }
            state.running += 1
            state.mostRunning = max(state.mostRunning, state.running)
            return state.queue.removeFirst()
        }
    }
}
