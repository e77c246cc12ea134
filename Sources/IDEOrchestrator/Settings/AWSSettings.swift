import Foundation

/// The service's own AWS identity, and how containers started without credentials get theirs.
public struct AWSSettings: Sendable {
    /// Region of buckets whose request gives none; STS requests are signed for it too.
    public var region: String
    /// The service's credentials (AWS_ACCESS_KEY_ID and its secret), when configured.
    public var credentials: S3Credentials?
    /// Role assumed per assignment, when configured.
    public var assignmentRoleARN: String?
    /// Lifetime of an assignment's temporary credentials.
    public var assignmentDuration: Duration
    /// Where STS is asked.
    public var stsEndpoint: String

    init(_ env: EnvironmentReader) throws(SettingsError) {
        region = env.string(.awsRegion)
        guard Self.isRegion(region) else {
            throw SettingsError(variable: SettingKey.awsRegion.name, expected: "a region such as us-east-1", found: region)
        }
        let keyId = env.string(.awsAccessKeyId), token = env.string(.awsSessionToken)
        let secret = try env.secret(.awsSecretAccessKey, orFile: .awsSecretAccessKeyFile)
        switch (keyId.isEmpty, secret.isEmpty) {
        case (false, false): credentials = S3Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token.isEmpty ? nil : token)
        case (false, true): throw SettingsError(variable: SettingKey.awsSecretAccessKey.name, expected: "the secret of AWS_ACCESS_KEY_ID (or S3_SECRET_ACCESS_KEY)", found: nil)
        case (true, false): throw SettingsError(variable: SettingKey.awsAccessKeyId.name, expected: "the access key id the secret belongs to (or S3_ACCESS_KEY_ID)", found: nil)
        case (true, true):
            guard token.isEmpty else {
                throw SettingsError(variable: SettingKey.awsAccessKeyId.name, expected: "an access key id and secret with AWS_SESSION_TOKEN", found: nil)
            }
            credentials = nil
        }
        let role = env.string(.assignmentRoleARN)
        assignmentRoleARN = role.isEmpty ? nil : role
        if let role = assignmentRoleARN {
            guard Self.isRoleARN(role) else {
                throw SettingsError(variable: SettingKey.assignmentRoleARN.name, expected: "an IAM role ARN such as arn:aws:iam::123456789012:role/ide-workspace", found: role)
            }
            guard credentials != nil else {
                throw SettingsError(variable: SettingKey.awsAccessKeyId.name, expected: "credentials to call STS with when AWS_ASSIGNMENT_ROLE_ARN is set", found: nil)
            }
        }
        assignmentDuration = try env.duration(.assignmentDuration, minimum: .seconds(900), maximum: .seconds(43_200))
        let endpoint = env.string(.stsEndpoint)
        guard endpoint.isEmpty || endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw SettingsError(variable: SettingKey.stsEndpoint.name, expected: "an http:// or https:// URL", found: endpoint)
        }
        stsEndpoint = endpoint.isEmpty ? "https://sts.\(region).amazonaws.com" : endpoint.trimmingSuffix("/")
    }

    static func isRegion(_ text: String) -> Bool {
        (1...32).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    /// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
    static func isRoleARN(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[1].hasPrefix("aws") && parts[2] == "iam" && parts[3].isEmpty
            && parts[4].count == 12 && parts[4].allSatisfy(\.isNumber) && parts[5].hasPrefix("role/") && parts[5].count > 5
    }
}
