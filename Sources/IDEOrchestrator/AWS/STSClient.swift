import Foundation

/// Asks AWS STS for temporary credentials. The production implementation is `CurlSTSClient`.
public protocol STSClient: Sendable {
    /// Assumes a role; throws `STSError` when STS refuses or cannot be reached.
    func assumeRole(_ request: AssumeRoleRequest) async throws(STSError) -> S3Credentials
}

/// One `AssumeRole` call.
public struct AssumeRoleRequest: Sendable, Equatable {
    /// The role to assume.
    public var roleARN: String
    /// Names the session in CloudTrail: 2 to 64 of `[A-Za-z0-9+=,.@_-]`.
    public var sessionName: String
    /// The session policy (JSON) that narrows the role's permissions.
    public var policy: String
    /// How long the credentials live.
    public var duration: Duration
}

/// STS refused a request or could not be reached. Carries no credential.
public struct STSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// STS's error code (e.g. `AccessDenied`), `HTTP <status>`, or `unreachable`.
    public var code: String
    /// STS's message, if any.
    public var message: String

    public var description: String { "STS \(code): \(message)" }
}

/// Calls STS's query API with a SigV4-signed `POST` through libcurl.
public struct CurlSTSClient: STSClient {
    let endpoint: String
    let region: String
    let credentials: S3Credentials
    let http: any HTTPClient

    /// Creates a client signing with the service's own credentials.
    public init(endpoint: String, region: String, credentials: S3Credentials, http: any HTTPClient = CurlHTTPClient()) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.http = http
    }

    public func assumeRole(_ request: AssumeRoleRequest) async throws(STSError) -> S3Credentials {
        let form = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"),
            ("RoleArn", request.roleARN), ("RoleSessionName", request.sessionName),
            ("DurationSeconds", String(request.duration.components.seconds)), ("Policy", request.policy),
        ]
        var headers = [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")]
        if let token = credentials.sessionToken { headers.append((name: "x-amz-security-token", value: token)) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(
                method: "POST", endpoint: .tcp(baseURL: endpoint), path: "/", headers: headers,
                body: Data(Self.formEncoded(form).utf8), timeout: .seconds(10),
                sigV4: AWSSigV4(region: region, service: "sts", accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey)
            ))
        } catch {
            throw STSError(code: "unreachable", message: "STS at \(endpoint) could not be reached")
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.isSuccess else {
            throw STSError(code: Self.element("Code", in: xml) ?? "HTTP \(response.status)", message: Self.element("Message", in: xml) ?? "")
        }
        guard let keyId = Self.element("AccessKeyId", in: xml), let secret = Self.element("SecretAccessKey", in: xml),
              let token = Self.element("SessionToken", in: xml)
        else {
            throw STSError(code: "MalformedResponse", message: "the AssumeRole answer holds no credentials")
        }
        return S3Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: Self.element("Expiration", in: xml).flatMap(RFC3339.date))
    }

    /// `application/x-www-form-urlencoded` with RFC 3986 unreserved characters left as they are.
    static func formEncoded(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    /// The text of the first `<name>` element, XML entities decoded.
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
