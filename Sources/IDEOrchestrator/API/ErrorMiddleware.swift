import Foundation
import Hummingbird
import Logging
import NIOCore

/// Renders every failure as `{"error":{"code","message"},"timestamp","path"}`. Internal error
/// text (SQLite, engine, curl) never reaches the caller: it is logged with the request id,
/// and the message names that id so the two can be matched.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        do {
            return try await next(request, context)
        } catch let error as APIError {
            guard let detail = error.internalDetail else { return try Self.render(error, path: path) }
            let id = Self.correlate("Request failed", detail: detail, code: error.code, path: path, logger: context.logger)
            return try Self.render(Self.withRequestID(error, id), path: path)
        } catch let error as HTTPError {
            return try Self.render(Self.translate(error, path: path, maxBodyBytes: maxBodyBytes), path: path)
        } catch is NIOTooManyBytesError {
            return try Self.render(.bodyTooLarge(limit: maxBodyBytes), path: path)
        } catch let error as DockerError where error.code == .engineUnreachable {
            let id = Self.correlate("Engine unreachable", detail: "\(error)", code: "ENGINE_UNAVAILABLE", path: path, logger: context.logger)
            return try Self.render(Self.withRequestID(.engineUnavailable("The Docker engine cannot be reached"), id), path: path)
        } catch {
            let id = Self.correlate("Unhandled error", detail: "\(error)", code: APIError.internalError.code, path: path, logger: context.logger)
            return try Self.render(Self.withRequestID(.internalError, id), path: path)
        }
    }

    /// Logs the underlying failure with the request id and returns that id.
    static func correlate(_ sentence: Logger.Message, detail: String, code: String, path: String, logger: Logger) -> String {
        let id = RequestID.current ?? RequestID.generate()
        logger.error(sentence, metadata: [RequestID.metadataKey: "\(id)", "path": "\(path.prefix(200))", "code": "\(code)", "error": "\(detail)"])
        return id
    }

    static func withRequestID(_ error: APIError, _ id: String) -> APIError {
        APIError(error.code, error.status, "\(error.message) (request id \(id))", retryAfter: error.retryAfter)
    }

    static func translate(_ error: HTTPError, path: String, maxBodyBytes: Int) -> APIError {
        switch error.status {
        case .notFound: .notFound(path)
        case .contentTooLarge: .bodyTooLarge(limit: maxBodyBytes)
        case .badRequest: .invalidBody(error.body ?? "Bad request")
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
