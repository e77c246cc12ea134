import Foundation
import Logging

/// The id of the request being served: taken from `X-Request-Id` when well-formed, otherwise
/// generated, and bound to the request's task so every log line written for it carries it.
public enum RequestID {
    /// The current request's id, in the task serving it and its child tasks.
    @TaskLocal public static var current: String?

    /// The log metadata key.
    public static let metadataKey = "request.id"

    /// The id to use for a request that sent `header`: the header when it is 1 to 128
    /// letters, digits, `-`, `_`, `.` or `:`, a fresh id otherwise.
    public static func accepting(_ header: String?) -> String {
        if let header, isWellFormed(header) { return header }
        return generate()
    }

    /// A random (version 4) UUID in lowercase, from two draws of the system's generator.
    /// (Foundation's `UUID()` opens, reads and closes `/dev/urandom` each time here.)
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    static func generate<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        let high: UInt64 = generator.next() & ~0xf000 | 0x4000  // version 4 in bits 12-15
        let low: UInt64 = generator.next() & ~(0xc << 60) | (0x8 << 60)  // variant 10 in the top bits
        let bytes = withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init)
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { Hex.encode(bytes[$0]) }.joined(separator: "-")
    }

    /// Whether a client-supplied id may be used as is (and so appear in logs and headers).
    public static func isWellFormed(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): true
            default: false
            }
        }
    }
}

extension Logger.MetadataProvider {
    /// Adds `request.id` to every line logged while a request is being served.
    public static let requestID = Logger.MetadataProvider {
        guard let id = RequestID.current else { return [:] }
        return [RequestID.metadataKey: .string(id)]
    }
}
