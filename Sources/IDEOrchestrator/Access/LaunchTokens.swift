import Crypto
import Foundation
import Synchronization

/// One-time launch tokens: 256 random bits each, handed out once inside a launch URL and kept
/// here only as their SHA-256 hash, bound to a container, its claim generation and one route.
/// A token is redeemed at most once and only before it expires (`LAUNCH_TOKEN_TTL`). They live
/// in memory: a restart of the service ends the unused ones (the platform asks for new ones).
public final class LaunchTokens: Sendable {
    /// What a token was issued for.
    public struct Grant: Sendable, Equatable {
        public var id: String
        public var route: String
        public var generation: Int64
        public var expires: Date
    }

    /// Most unredeemed tokens kept; the oldest go first beyond it.
    static let capacity = 100_000

    private let ttl: TimeInterval
    private let grants = Mutex([String: Grant]())

    /// Tokens valid for `ttl`.
    public init(ttl: Duration) {
        self.ttl = Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18
    }

    /// A new token for route `route` of container `id` at claim `generation`.
    public func issue(id: String, route: String, generation: Int64, now: Date = Date()) -> String {
        let token = Self.randomToken()
        let grant = Grant(id: id, route: route, generation: generation, expires: now.addingTimeInterval(ttl))
        grants.withLock { grants in
            if grants.count >= Self.capacity {
                grants = grants.filter { $0.value.expires > now }
                if grants.count >= Self.capacity, let oldest = grants.min(by: { $0.value.expires < $1.value.expires }) { grants.removeValue(forKey: oldest.key) }
            }
            grants[Self.hash(token)] = grant
        }
        return token
    }

    /// Redeems `token` for route `route` of container `id`: its grant, once, when it has not
    /// expired and was issued for exactly that route and container. A token presented for
    /// another container is spent too (it was leaked).
    public func redeem(_ token: Substring, id: String, route: String, now: Date = Date()) -> Grant? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        guard let grant = grants.withLock({ $0.removeValue(forKey: Self.hash(token)) }) else { return nil }
        guard grant.id == id, grant.route == route, grant.expires > now else { return nil }
        return grant
    }

    /// Unredeemed tokens kept (tests, metrics).
    public var count: Int { grants.withLock { $0.count } }

    static func randomToken() -> String {
        Hex.random(bytes: 32)
    }

    static func hash(_ token: some StringProtocol) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
