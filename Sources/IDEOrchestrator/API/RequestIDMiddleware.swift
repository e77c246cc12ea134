import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (`X-Request-Id` when well-formed, else a new one), binds it to
/// the request's task and logger so every line logged for it carries it, and returns it.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = RequestID.accepting(request.headers[.requestID])
        var context = context
        context.logger[metadataKey: RequestID.metadataKey] = .string(id)
        var response = try await RequestID.$current.withValue(id) {
            try await next(request, context)
        }
        response.headers[.requestID] = id
        return response
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    static let requestID = Self("X-Request-Id")!
}
