import Foundation

/// Where an outbound HTTP request is sent: a TCP URL or a unix socket.
public enum HTTPEndpoint: Sendable, Hashable {
    /// A host reached over TCP, e.g. `http://127.0.0.1:2375`.
    case tcp(baseURL: String)
    /// A unix domain socket; requests use `http://localhost` as their authority.
    case unixSocket(path: String)

    /// The scheme and authority that request paths are appended to.
    var baseURL: String {
        switch self {
        case .tcp(let baseURL): baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        case .unixSocket: "http://localhost"
        }
    }
}

/// AWS Signature Version 4 signing done by libcurl.
public struct AWSSigV4: Sendable, Hashable {
    /// The region the request is signed for.
    public var region: String
    /// The AWS service name, e.g. `s3`.
    public var service: String
    /// The access key id.
    public var accessKeyId: String
    /// The secret access key; never logged.
    public var secretAccessKey: String

    /// Creates signing parameters.
    public init(region: String, service: String, accessKeyId: String, secretAccessKey: String) {
        self.region = region
        self.service = service
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// One outbound HTTP request.
public struct HTTPClientRequest: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// Where the request goes.
    public var endpoint: HTTPEndpoint
    /// The path and query, starting with `/`.
    public var path: String
    /// Request headers.
    public var headers: [(name: String, value: String)]
    /// The request body, if any.
    public var body: Data?
    /// The whole transfer's deadline; `nil` for streams that stay open.
    public var timeout: Duration?
    /// The deadline for establishing the connection.
    public var connectTimeout: Duration
    /// Signs the request with SigV4 when set.
    public var sigV4: AWSSigV4?
    /// The most response body bytes read; a longer answer fails with `responseTooLarge`.
    public var maxResponseBytes: Int?

    /// Creates a request.
    public init(
        method: String = "GET",
        endpoint: HTTPEndpoint,
        path: String,
        headers: [(name: String, value: String)] = [],
        body: Data? = nil,
        timeout: Duration? = .seconds(30),
        connectTimeout: Duration = .seconds(3),
        sigV4: AWSSigV4? = nil,
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.endpoint = endpoint
        self.path = path
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.sigV4 = sigV4
        self.maxResponseBytes = maxResponseBytes
    }

    /// The full URL handed to libcurl.
    var url: String { endpoint.baseURL + path }
}
