import HTTPTypes

/// An error the API answers with: a stable code, an HTTP status and a clear message.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The public code, e.g. `INVALID_S3_BUCKET`.
    public let code: String
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A message for the caller; never a secret.
    public let message: String
    /// Seconds after which a retry may succeed (`Retry-After`).
    public let retryAfter: Int?
    /// The underlying failure's text: logged with the request id, never sent to the caller.
    public let internalDetail: String?

    init(_ code: String, _ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil, internalDetail: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.internalDetail = internalDetail
    }

    public var description: String { "\(code): \(message)" }

    static func invalidBody(_ message: String) -> APIError { .init("INVALID_REQUEST_BODY", .badRequest, message) }
    static func invalidBucket(_ message: String) -> APIError { .init("INVALID_S3_BUCKET", .badRequest, message) }
    static func invalidWorkspacePrefix(_ message: String) -> APIError { .init("INVALID_WORKSPACE_PREFIX", .badRequest, message) }
    static func s3BucketNotFound(_ message: String) -> APIError { .init("S3_BUCKET_NOT_FOUND", .badRequest, message) }
    static func s3AccessDenied(_ message: String) -> APIError { .init("S3_ACCESS_DENIED", .badRequest, message) }
    static func s3CheckFailed(_ message: String) -> APIError { .init("S3_CHECK_FAILED", .badGateway, message) }
    static func credentialsUnavailable(_ message: String) -> APIError { .init("CREDENTIALS_UNAVAILABLE", .badGateway, message) }
    static func invalidQuery(_ message: String) -> APIError { .init("INVALID_QUERY", .badRequest, message) }
    static func bodyTooLarge(limit: Int) -> APIError { .init("PAYLOAD_TOO_LARGE", .contentTooLarge, "The request body must be at most \(limit) bytes") }
    static let unsupportedMediaType = APIError("UNSUPPORTED_MEDIA_TYPE", .unsupportedMediaType, "The request body must be sent as Content-Type: application/json")
    static let authenticationFailed = APIError("AUTHENTICATION_FAILED", .unauthorized, "A valid API key is required: send Authorization: Bearer <key>")
    static let invalidActivityToken = APIError("INVALID_ACTIVITY_TOKEN", .unauthorized, "A valid container token is required: send Authorization: Bearer <token>")
    static func containerNotFound(_ id: String) -> APIError { .init("CONTAINER_NOT_FOUND", .notFound, "No container with id '\(id.prefix(64))'") }
    static func notRunning(_ id: String) -> APIError { .init("CONTAINER_NOT_RUNNING", .conflict, "Container '\(id)' is not running") }
    static func containerLive(_ id: String, status: ContainerStatus) -> APIError { .init("CONTAINER_LIVE", .conflict, "Container '\(id)' is \(status.rawValue): stop it before deleting its record") }
    static func notFound(_ path: String) -> APIError { .init("NOT_FOUND", .notFound, "No route for \(path.prefix(200))") }
    static func rateLimited(retryAfter: Int) -> APIError { .init("RATE_LIMITED", .tooManyRequests, "Too many requests; retry after \(retryAfter) s", retryAfter: retryAfter) }
    static func resourceLimit(_ reason: String) -> APIError { .init("RESOURCE_LIMIT_EXCEEDED", .serviceUnavailable, "No container is ready and none may be created now: \(reason)", retryAfter: 30) }
    static func bucketInUse(_ reason: String) -> APIError { .init("BUCKET_IN_USE", .conflict, "The bucket cannot be assigned now: \(reason)", retryAfter: 5) }
    static func bucketBusy(_ reason: String, retryAfter: Int) -> APIError {
        .init("BUCKET_BUSY", .conflict, "The bucket's previous container is still shutting down: \(reason)", retryAfter: retryAfter)
    }
    static func startFailed(_ message: String, internalDetail: String? = nil) -> APIError {
        .init("CONTAINER_START_FAILED", .serviceUnavailable, message, retryAfter: 10, internalDetail: internalDetail)
    }
    static func engineUnavailable(_ message: String) -> APIError { .init("ENGINE_UNAVAILABLE", .serviceUnavailable, message, retryAfter: 10) }
    static let internalError = APIError("INTERNAL_ERROR", .internalServerError, "An internal error occurred")
}
