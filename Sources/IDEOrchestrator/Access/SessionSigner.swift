import Crypto
import Foundation

/// Signs and verifies IDE session cookies and readiness-probe tokens under one key the service
/// keeps outside its database (`IDE_SESSION_KEY_FILE`), so checking a cookie reads no store.
///
/// A cookie is `<generation>.<expiry>.<mac>`: the claim generation (the claim's time in
/// milliseconds; a container is claimed at most once), the expiry in Unix seconds and
/// `hex(HMAC-SHA256(key, "session|<id>|<route>|<generation>|<expiry>"))`.
public struct SessionSigner: Sendable {
    private let key: SymmetricKey

    /// A signer over `key`.
    public init(key: Data) {
        self.key = SymmetricKey(data: key)
    }

    /// The key from the settings' file, created (32 random bytes as hex, mode 0600) when missing.
    public static func load(settings: Settings) throws -> SessionSigner {
        SessionSigner(key: try AgentTokens.loadOrCreateKey(at: settings.routeAccess.keyFile))
    }

    private func mac(_ text: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    /// The cookie value for route `route` of container `id`, claim `generation`, valid until `expiry`.
    public func cookie(id: String, route: String, generation: Int64, expiry: Int64) -> String {
        "\(generation).\(expiry).\(mac("session|\(id)|\(route)|\(generation)|\(expiry)"))"
    }

    /// The claim generation a cookie value proves for `id`/`route`, when its MAC holds and it has not expired at `now`.
    public func verify(_ value: Substring, id: String, route: String, now: Date) -> Int64? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count <= 20, parts[1].count <= 20, parts[2].count == 64,
              let generation = Int64(parts[0]), let expiry = Int64(parts[1]) else { return nil }
        guard Double(expiry) > now.timeIntervalSince1970 else { return nil }
        let expected = mac("session|\(id)|\(route)|\(generation)|\(expiry)")
        return Self.constantTimeEqual(expected.utf8, parts[2].utf8) ? generation : nil
    }

    /// The token a readiness probe of container `id` carries through Traefik.
    public func probeToken(id: String) -> String {
        mac("probe|\(id)")
    }

    /// Whether `token` is container `id`'s probe token.
    public func isProbeToken(_ token: Substring, id: String) -> Bool {
        token.count == 64 && Self.constantTimeEqual(probeToken(id: id).utf8, token.utf8)
    }

    static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
