import AsyncAlgorithms
import Logging
import ServiceLifecycle
import Synchronization

/// Fans the store's container events out to every `/api/events` client.
///
/// One loop reads the events added since the last pass, whatever the number of clients, encodes
/// each once and hands the same frame to every subscriber; it also sends the heartbeats.
public final class EventBroadcaster: Service, Sendable {
    /// Frames a slow client may fall behind by before the oldest are dropped.
    static let bufferLimit = 1024
    /// Events read per store query.
    static let batchSize = 500

    private let store: AppDatabase
    private let pollInterval: Duration
    private let heartbeatInterval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var subscribers: [Int: AsyncStream<EventStreamFrame>.Continuation] = [:]
        var nextSubscriber = 0
        var cursor: Int64?
    }

    /// Creates a broadcaster over `store`.
    public init(store: AppDatabase, settings: Settings, logger: Logger) {
        self.store = store
        self.pollInterval = settings.eventPollInterval
        self.heartbeatInterval = settings.eventHeartbeatInterval
        self.logger = logger
    }

    /// Frames from now on, until `unsubscribe` or shutdown.
    public func subscribe() -> (id: Int, frames: AsyncStream<EventStreamFrame>) {
        let (frames, continuation) = AsyncStream<EventStreamFrame>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        let id = state.withLock { state in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, frames)
    }

    /// Ends one subscriber's frames.
    public func unsubscribe(_ id: Int) {
        state.withLock { $0.subscribers.removeValue(forKey: id) }?.finish()
    }

    /// How many clients are subscribed.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    public func run() async throws {
        // Note where the log ends before the first tick, so clients that connect from now on
        // miss nothing between their replay and the first broadcast.
        await pass()
        let clock = ContinuousClock()
        var lastHeartbeat = clock.now
        for try await _ in AsyncTimerSequence(interval: pollInterval, clock: clock).cancelOnGracefulShutdown() {
            await pass()
            if clock.now - lastHeartbeat >= heartbeatInterval {
                broadcast(.heartbeat)
                lastHeartbeat = clock.now
            }
        }
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Sends every event added since the last pass; the first pass, and every pass without
    /// subscribers, only notes where the log ends.
    func pass() async {
        do {
            // Without subscribers only the cursor moves: nobody would read the frames.
            guard var cursor = state.withLock({ $0.subscribers.isEmpty ? nil : $0.cursor }) else {
                let latest = try await store.latestEventID()
                state.withLock { $0.cursor = latest }
                return
            }
            while true {
                let events = try await store.events(after: cursor, limit: Self.batchSize)
                for event in events { broadcast(try .event(event)) }
                cursor = events.last?.id ?? cursor
                state.withLock { $0.cursor = cursor }
                if events.count < Self.batchSize { break }
            }
        } catch {
            logger.warning("Event stream could not read events", metadata: ["error": "\(error)"])
        }
    }

    private func broadcast(_ frame: EventStreamFrame) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(frame) }
    }
}
