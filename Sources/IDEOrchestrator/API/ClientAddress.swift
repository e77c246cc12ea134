import HTTPTypes
import Hummingbird
import NIOCore

/// Who a request without an API key comes from, for its rate limit. The connection's peer,
/// unless the peer is one of `TRUSTED_PROXIES`: then the right-most `X-Forwarded-For` address
/// that is not itself a trusted proxy (a proxy appends the address it saw, so everything left
/// of the last untrusted address may be forged by the client).
struct ClientAddress: Sendable {
    let trusted: [IPRange]

    /// The client of `request` arriving over a connection from `peer`.
    func of(_ request: Request, peer: SocketAddress?) -> String {
        guard let peer else { return "unknown" }
        guard let text = peer.ipAddress else { return peer.description }
        guard let address = IPBytes(text), isTrusted(address) else { return text }
        let hops = request.headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = text
        for hop in hops.reversed() {
            // A hop that is not an address was not written by a proxy we trust: stop at the last good one.
            guard let hopAddress = IPBytes(hop) else { break }
            client = hop
            if !isTrusted(hopAddress) { break }
        }
        return client
    }

    /// Whether the address is in one of the trusted ranges.
    func isTrusted(_ address: IPBytes) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`, the chain of addresses a request passed through.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
