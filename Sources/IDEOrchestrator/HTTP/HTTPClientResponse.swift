import Foundation

/// A buffered HTTP response.
public struct HTTPClientResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Response headers, names lowercased.
    public var headers: [String: String]
    /// The whole body.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A response whose body arrives as it is received.
public struct HTTPClientStreamResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Response headers, names lowercased.
    public var headers: [String: String]
    /// The body in chunks as they arrive; ends when the server closes the response.
    public var body: AsyncThrowingStream<Data, any Error>
}
