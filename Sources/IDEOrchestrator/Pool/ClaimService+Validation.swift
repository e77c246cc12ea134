import Crypto
import Foundation

/// The start request's validation and the activity token.
extension ClaimService {
    static func validatedBucket(_ bucket: String?) throws(APIError) -> String {
        guard let bucket, !bucket.isEmpty else { throw .invalidBucket("s3Bucket is required") }
        if let problem = BucketName.problem(with: bucket) {
            throw .invalidBucket("s3Bucket '\(bucket.prefix(80))' is not a valid S3 bucket name: it \(problem)")
        }
        return bucket
    }

    static func validatedRegion(_ region: String?) throws(APIError) -> String? {
        guard let region, !region.isEmpty else { return nil }
        guard region.count <= 32, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidBody("s3Region must look like us-east-1 (lowercase letters, digits and hyphens)")
        }
        return region
    }

    static func validateOptional(_ request: StartRequest) throws(APIError) {
        _ = try WorkspacePrefix.validated(request.workspacePrefix)
        if let userId = request.userId, userId.count > 256 || userId.contains(where: \.isNewline) {
            throw .invalidBody("userId must be at most 256 characters on one line")
        }
        if let password = request.vncPassword, password.count > 256 {
            throw .invalidBody("vncPassword must be at most 256 characters")
        }
    }

    static func credentials(_ request: StartRequest) throws(APIError) -> S3Credentials? {
        switch (request.awsAccessKeyId?.nilIfEmpty, request.awsSecretAccessKey?.nilIfEmpty) {
        case (nil, nil): return nil
        case (let id?, let secret?): return S3Credentials(accessKeyId: id, secretAccessKey: secret)
        default: throw .invalidBody("awsAccessKeyId and awsSecretAccessKey must be given together")
        }
    }

    /// A fresh 256-bit token, hex encoded.
    static func newToken() -> String {
        Hex.random(bytes: 32)
    }

    /// The SHA-256 hex digest stored in place of a token.
    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
