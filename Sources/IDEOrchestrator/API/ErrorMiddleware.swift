import Foundation
import Hummingbird
import Logging

/// Renders every failure as `{"error":{"code","message"},"timestamp","path"}`.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try Self.render(error, path: request.uri.path)
        } catch let error as HTTPError {
            return try Self.render(Self.translate(error, path: request.uri.path), path: request.uri.path)
        } catch {
            logger.error("Unhandled error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try Self.render(.internalError, path: request.uri.path)
        }
    }

    static func translate(_ error: HTTPError, path: String) -> APIError {
        switch error.status {
        case .notFound: .notFound(path)
        case .badRequest, .contentTooLarge: .invalidBody(error.body ?? "Bad request")
        case .methodNotAllowed: APIError("METHOD_NOT_ALLOWED", .methodNotAllowed, "Method not allowed on \(path.prefix(200))")
        default: APIError("HTTP_\(error.status.code)", error.status, error.body ?? error.status.reasonPhrase)
        }
    }

    static func render(_ error: APIError, path: String) throws -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let body = ErrorBody(error: .init(code: error.code, message: error.message), timestamp: Timestamp.string(Date()), path: String(path.prefix(512)))
        return try JSON.response(body, status: error.status, headers: headers)
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
        var timestamp: String
        var path: String
    }
}
