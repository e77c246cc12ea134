/// Why an outbound HTTP request produced no response.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// Nothing accepted the connection (refused, no such socket, no route).
        case connectionFailed
        /// The transfer ran past its deadline after connecting (a connection that never
        /// completes in time is `connectionFailed`).
        case timedOut
        /// The answer was longer than the request's `maxResponseBytes`.
        case responseTooLarge
        /// The request was cancelled by its caller.
        case cancelled
        /// Any other transport failure reported by libcurl.
        case transport
    }

    /// The kind of failure.
    public var kind: Kind
    /// libcurl's explanation.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
