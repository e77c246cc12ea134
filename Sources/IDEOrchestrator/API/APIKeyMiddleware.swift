import Crypto
import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <key>` with one of the configured keys, compared in
/// constant time (over SHA-256 digests, so lengths leak nothing either).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let digests: [[UInt8]]

    init(keys: [String]) {
        digests = keys.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = BearerToken.from(request) else { throw APIError.authenticationFailed }
        let candidate = Array(SHA256.hash(data: Data(token.utf8)))
        var matched = false
        for digest in digests where ConstantTime.equal(digest, candidate) {
            matched = true
        }
        guard matched else { throw APIError.authenticationFailed }
        var context = context
        context.keyFingerprint = candidate.prefix(8).map { String(format: "%02x", $0) }.joined()
        return try await next(request, context)
    }
}

/// The token of an `Authorization: Bearer` header.
enum BearerToken {
    static func from(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
