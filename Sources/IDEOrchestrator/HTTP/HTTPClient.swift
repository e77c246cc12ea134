/// Sends HTTP requests. The production implementation is `CurlHTTPClient`.
public protocol HTTPClient: Sendable {
    /// Sends a request and buffers the whole response.
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse
    /// Sends a request and returns as soon as the response head arrives; the body streams.
    func stream(_ request: HTTPClientRequest) async throws -> HTTPClientStreamResponse
}
