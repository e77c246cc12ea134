import Foundation
import Logging

/// The credentials a container's agent gets at assignment, which also sign the bucket check:
/// the start request's own; else, with AWS_ASSIGNMENT_ROLE_ARN, temporary credentials from
/// STS limited to the bucket; else the service's own (or none). Nothing of them is stored or logged.
public struct AssignmentCredentials: Sendable {
    let aws: AWSSettings
    let sts: (any STSClient)?
    let logger: Logger?

    /// Creates the production source: STS through libcurl when a role is configured.
    public init(settings: Settings, logger: Logger? = nil) {
        let aws = settings.aws
        var sts: (any STSClient)?
        if aws.assignmentRoleARN != nil, let credentials = aws.credentials {
            sts = CurlSTSClient(endpoint: aws.stsEndpoint, region: aws.region, credentials: credentials)
        }
        self.init(aws: aws, sts: sts, logger: logger)
    }

    /// Creates a source over the given STS client (tests pass a fake).
    public init(aws: AWSSettings, sts: (any STSClient)?, logger: Logger? = nil) {
        self.aws = aws
        self.sts = sts
        self.logger = logger
    }

    /// The credentials for an assignment of `bucket`; `given` are the start request's own.
    public func resolve(_ given: S3Credentials?, bucket: String) async throws(APIError) -> S3Credentials? {
        if let given { return given }
        guard let role = aws.assignmentRoleARN, let sts else { return aws.credentials }
        let request = AssumeRoleRequest(
            roleARN: role, sessionName: Self.sessionName(bucket: bucket),
            policy: SessionPolicy.document(bucket: bucket, roleARN: role), duration: aws.assignmentDuration
        )
        do throws(STSError) {
            var issued = try await sts.assumeRole(request)
            issued.expiration = issued.expiration ?? Date().addingTimeInterval(Double(aws.assignmentDuration.components.seconds))
            return issued
        } catch {
            logger?.warning("AssumeRole failed", metadata: ["s3.bucket": "\(bucket)", "sts.code": "\(error.code)", "sts.message": "\(error.message)"])
            throw .credentialsUnavailable("Temporary credentials for bucket '\(bucket)' could not be obtained from STS (\(error.code))")
        }
    }

    /// Says at start which credentials containers started without any will get.
    public func announce(to logger: Logger) {
        switch (aws.assignmentRoleARN, aws.credentials) {
        case (let role?, _):
            logger.info("Containers started without credentials get temporary credentials limited to their bucket", metadata: [
                "aws.role": "\(role)", "aws.duration": "\(aws.assignmentDuration)",
            ])
        case (nil, .some):
            logger.warning("Every container started without credentials receives the service's own AWS credentials; set AWS_ASSIGNMENT_ROLE_ARN to hand out temporary credentials limited to the bucket instead")
        case (nil, nil):
            logger.notice("No AWS credentials are configured: containers started without credentials get none and cannot sync their workspace")
        }
    }

    /// `ide-<bucket>`, cut to STS's 64 characters (bucket names only hold allowed characters).
    static func sessionName(bucket: String) -> String {
        String("ide-\(bucket)".prefix(64))
    }
}
