/// Serialises work per key (here: per bucket), so two requests for one bucket never race.
actor KeyedLock {
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` while holding the lock for `key`.
    func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        if waiters[key] == nil {
            waiters[key] = []
            return
        }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        guard var queue = waiters[key] else { return }
        if queue.isEmpty {
            waiters[key] = nil
        } else {
            queue.removeFirst().resume()
            waiters[key] = queue
        }
    }
}
