import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <key>` with one of the configured keys.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let keys: APIKeys

    init(keys: [String]) {
        self.keys = APIKeys(keys)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let fingerprint = keys.fingerprint(of: request) else { throw APIError.authenticationFailed }
        var context = context
        context.keyFingerprint = fingerprint
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
