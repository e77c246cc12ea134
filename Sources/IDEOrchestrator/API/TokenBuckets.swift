import Synchronization

/// One token bucket per key: `perMinute` requests a minute, with bursts up to the same number.
/// The table is bounded: when it reaches `maxKeys`, buckets that have refilled are dropped (a full
/// bucket is what a new key gets anyway), then, if still too many, the least recently used half.
final class TokenBuckets: Sendable {
    private let perMinute: Int
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    init(perMinute: Int, maxKeys: Int = 10_000) {
        self.perMinute = perMinute
        self.maxKeys = maxKeys
    }

    /// Whether limiting is on.
    var isEnabled: Bool { perMinute > 0 }

    /// Takes one token for `key`; returns the seconds to wait when none is left.
    func take(_ key: String, now: ContinuousClock.Instant) -> Int? {
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        return buckets.withLock { buckets in
            if buckets.count >= maxKeys, buckets[key] == nil {
                buckets = buckets.filter { Double((now - $0.value.updated).milliseconds) / 1000 * perSecond + $0.value.tokens < capacity }
                if buckets.count >= maxKeys {
                    let newest = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxKeys / 2)
                    buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
                }
            }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = Double((now - bucket.updated).milliseconds) / 1000
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// How many keys are tracked.
    var count: Int { buckets.withLock { $0.count } }
}
