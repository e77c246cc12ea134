import Foundation

/// An IPv4 or IPv6 address as its bytes (4 or 16); an IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4 peer) is its IPv4 address.
public struct IPBytes: Sendable, Hashable {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    /// Parses a textual address; nil when it is not one.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: &v6) { Array($0) }
        bytes = all.prefix(10).allSatisfy { $0 == 0 } && all[10] == 0xFF && all[11] == 0xFF ? Array(all.suffix(4)) : all
    }
}

/// A CIDR range such as `10.0.0.0/8` or `fd00::/8`; a bare address is a range of one.
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    /// The network's bytes (host bits cleared).
    let network: [UInt8]
    /// The prefix length in bits.
    let prefix: Int

    /// Parses `address/prefix` or a bare address; nil when either part is malformed.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPBytes(parts[0].trimmingCharacters(in: .whitespaces)) else { return nil }
        let written = parts[0].contains(":") ? 128 : 32
        var prefix = address.bytes.count * 8
        if parts.count == 2 {
            guard let given = Int(parts[1].trimmingCharacters(in: .whitespaces)), (0...written).contains(given) else { return nil }
            // An IPv4-mapped range written in IPv6 (`::ffff:10.0.0.0/104`) means its IPv4 part.
            prefix = given - (written - prefix)
            guard prefix >= 0 else { return nil }
        }
        self.prefix = prefix
        self.network = Self.mask(address.bytes, prefix: prefix)
    }

    /// Whether `address` lies in the range (an IPv4 address never lies in an IPv6 range).
    public func contains(_ address: IPBytes) -> Bool {
        address.bytes.count == network.count && Self.mask(address.bytes, prefix: prefix) == network
    }

    public var description: String {
        let text: String
        if network.count == 4 {
            text = network.map(String.init).joined(separator: ".")
        } else {
            text = stride(from: 0, to: 16, by: 2).map { String(UInt16(network[$0]) << 8 | UInt16(network[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
        return "\(text)/\(prefix)"
    }

    private static func mask(_ bytes: [UInt8], prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = min(8, max(0, prefix - index * 8))
            return keep == 8 ? byte : byte & ~(UInt8.max >> keep)
        }
    }
}
