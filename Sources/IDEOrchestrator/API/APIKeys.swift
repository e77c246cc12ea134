import Crypto
import Foundation
import Hummingbird

/// The configured API keys, held as SHA-256 digests and compared in constant time (over the
/// digests, so lengths leak nothing either).
struct APIKeys: Sendable {
    private let digests: [[UInt8]]

    init(_ keys: [String]) {
        digests = keys.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    /// A non-secret fingerprint of the request's key when it is one of ours, else nil.
    func fingerprint(of request: Request) -> String? {
        guard let token = BearerToken.from(request) else { return nil }
        let candidate = Array(SHA256.hash(data: Data(token.utf8)))
        var matched = false
        for digest in digests where ConstantTime.equal(digest, candidate) {
            matched = true
        }
        return matched ? Hex.encode(candidate.prefix(8)) : nil
    }
}
