import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The engine's state as `/api/health`, `/ready` and start requests see it: sampled in the background every
/// `interval`, so no request calls the engine while the sample is fresh; when it is not (the
/// loop is not running, as in router tests), one sample is taken for all the requests that want
/// it at once. (The pool figures come from the store, reused only until its next commit.)
public actor HealthState: Service {
    /// One sample.
    public struct Sample: Sendable {
        var engineVersion: String?
        /// Why the engine did not answer (internal text: shown only with the API key).
        var engineError: String?
        var takenAt: ContinuousClock.Instant

        public var engineReachable: Bool { engineVersion != nil }
    }

    private let engine: any DockerEngine
    private let interval: Duration
    private let maxAge: Duration
    /// Read without entering the actor: every start request and health check asks.
    private let latest = Mutex<Sample?>(nil)
    private var sampling: Task<Sample, Never>?

    public init(engine: any DockerEngine, interval: Duration = .seconds(2)) {
        self.engine = engine
        self.interval = interval
        maxAge = interval * 2
    }

    /// The latest sample when it is fresh, else a new one.
    public nonisolated func current() async -> Sample {
        if let latest = latest.withLock({ $0 }), ContinuousClock.now - latest.takenAt < maxAge { return latest }
        return await sample()
    }

    /// Takes a sample, or joins the one under way.
    @discardableResult
    func sample() async -> Sample {
        if let sampling { return await sampling.value }
        let task = Task { [engine] in
            var sample = Sample(takenAt: .now)
            do {
                sample.engineVersion = try await engine.version().version
            } catch {
                sample.engineError = (error as? DockerError).map { "\($0.code.rawValue): \($0.message)" } ?? "\(error)"
            }
            sample.takenAt = .now
            return sample
        }
        sampling = task
        let sample = await task.value
        sampling = nil
        latest.withLock { $0 = sample }
        return sample
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await sample()
        }
    }
}
