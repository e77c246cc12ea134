/// Lowercase hexadecimal text of bytes, without Foundation's `String(format:)` (which costs
/// a formatter per byte on the claim path).
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two lowercase hex digits per byte.
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `count` random bytes as hex, from the system's generator.
    static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return random(bytes: count, using: &generator)
    }

    /// `count` random bytes as hex, eight bytes per draw (each draw of the system's generator
    /// is a `getrandom` call: one per eight bytes of a token rather than one per byte).
    static func random<Generator: RandomNumberGenerator>(bytes count: Int, using generator: inout Generator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return encode(bytes.prefix(count))
    }
}
