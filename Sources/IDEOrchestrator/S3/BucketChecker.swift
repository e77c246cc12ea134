import Foundation

/// Confirms a bucket exists and can be read before a container is assigned to it.
public protocol BucketChecker: Sendable {
    /// Throws `APIError` (S3_BUCKET_NOT_FOUND, S3_ACCESS_DENIED, S3_CHECK_FAILED) when it cannot.
    func check(bucket: String, region: String, credentials: S3Credentials?) async throws(APIError)
}

/// An access key pair for S3.
public struct S3Credentials: Sendable {
    /// The access key id.
    public var accessKeyId: String
    /// The secret; never logged or stored.
    public var secretAccessKey: String
    /// The session token of temporary credentials; never logged or stored.
    public var sessionToken: String? = nil
    /// When temporary credentials from STS expire; nil for long-lived ones.
    public var expiration: Date? = nil
}

/// Checks buckets with a SigV4-signed `GET /<bucket>?location` through libcurl.
public struct S3BucketChecker: BucketChecker {
    let settings: S3Settings
    let http: any HTTPClient

    /// Creates a checker.
    public init(settings: S3Settings, http: any HTTPClient = CurlHTTPClient()) {
        self.settings = settings
        self.http = http
    }

    /// SHA-256 of an empty body; libcurl does not send `x-amz-content-sha256` itself.
    private static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public func check(bucket: String, region: String, credentials: S3Credentials?) async throws(APIError) {
        let credentials = credentials ?? S3Credentials(accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken)
        var headers = [(name: "x-amz-content-sha256", value: Self.emptyPayloadHash)]
        if let token = credentials.sessionToken { headers.append((name: "x-amz-security-token", value: token)) }
        let request = HTTPClientRequest(
            endpoint: .tcp(baseURL: settings.endpoint), path: "/\(bucket)?location=",
            headers: headers,
            timeout: .seconds(10),
            sigV4: AWSSigV4(region: region, service: "s3", accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey)
        )
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw APIError.s3CheckFailed("S3 at \(settings.endpoint) could not be reached to check bucket '\(bucket)'")
        }
        if response.isSuccess { return }
        let code = Self.errorCode(in: response.body) ?? "HTTP \(response.status)"
        switch (response.status, code) {
        case (404, _), (_, "NoSuchBucket"):
            throw APIError.s3BucketNotFound("S3 bucket '\(bucket)' does not exist")
        case (_, "SignatureDoesNotMatch"):
            throw APIError.s3AccessDenied("S3 rejected the credentials for bucket '\(bucket)': the secret access key does not match the access key id (SignatureDoesNotMatch)")
        case (_, "InvalidAccessKeyId"):
            throw APIError.s3AccessDenied("S3 rejected the credentials for bucket '\(bucket)': the access key id is unknown (InvalidAccessKeyId)")
        case (403, _), (401, _):
            throw APIError.s3AccessDenied("S3 denied access to bucket '\(bucket)' (\(code))")
        default:
            throw APIError.s3CheckFailed("S3 answered \(code) when checking bucket '\(bucket)'")
        }
    }

    /// The `<Code>` of an S3 XML error body.
    static func errorCode(in body: Data) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<Code>"), let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
