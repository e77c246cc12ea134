import Hummingbird
import NIOCore

/// Refuses request bodies over `MAX_REQUEST_BODY_BYTES` with 413 before they are read whole:
/// a declared `Content-Length` over the limit is refused at once, and a streamed (chunked) body
/// fails as soon as the bytes read pass the limit, whoever reads it.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length <= maxBytes else { throw APIError.bodyTooLarge(limit: maxBytes) }
            return try await next(request, context)
        }
        guard request.headers[.transferEncoding] != nil else { return try await next(request, context) }
        var request = request
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, maxBytes: maxBytes))
        return try await next(request, context)
    }
}

/// A request body that throws `APIError.bodyTooLarge` once more than `maxBytes` have arrived.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let maxBytes: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let maxBytes: Int
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.readableBytes
            guard seen <= maxBytes else { throw APIError.bodyTooLarge(limit: maxBytes) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), maxBytes: maxBytes)
    }
}
