/// Watches the tasks of launching services for every launch at once: each tick lists the
/// tasks of all services someone waits for in one engine call, so fifty launches cost the
/// engine one listing per tick instead of fifty.
public actor TaskWatch {
    private let engine: any DockerEngine
    private let interval: Duration
    private var waiting: [String: [CheckedContinuation<[SwarmTask], any Error>]] = [:]
    private var ticking = false

    /// Creates a watch that lists tasks every `interval` while anyone waits.
    public init(engine: any DockerEngine, interval: Duration = .milliseconds(150)) {
        self.engine = engine
        self.interval = interval
    }

    /// The tasks of service `serviceId` (whatever their state) at the next tick; the engine's
    /// error when that tick's listing failed.
    public func nextTasks(of serviceId: String) async throws -> [SwarmTask] {
        try await withCheckedThrowingContinuation { continuation in
            waiting[serviceId, default: []].append(continuation)
            if !ticking {
                ticking = true
                Task { await self.tick() }
            }
        }
    }

    private func tick() async {
        while !waiting.isEmpty {
            try? await Task.sleep(for: interval)
            let batch = waiting
            waiting = [:]
            do {
                let tasks = Dictionary(grouping: try await engine.tasks(serviceIDs: Array(batch.keys)), by: \.serviceID)
                for (serviceId, waiters) in batch {
                    for waiter in waiters { waiter.resume(returning: tasks[serviceId] ?? []) }
                }
            } catch {
                for waiter in batch.values.joined() { waiter.resume(throwing: error) }
            }
        }
        ticking = false
    }
}
