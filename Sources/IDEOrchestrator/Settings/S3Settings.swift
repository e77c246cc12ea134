import Foundation

/// Where and how buckets are checked before assignment.
public struct S3Settings: Sendable {
    /// The S3 endpoint, e.g. `http://127.0.0.1:5000`.
    public var endpoint: String
    /// The default signing region.
    public var region: String
    /// The access key id.
    public var accessKeyId: String
    /// The secret access key.
    public var secretAccessKey: String
    /// The session token of temporary credentials.
    public var sessionToken: String?

    init?(_ env: EnvironmentReader) throws(SettingsError) {
        let endpoint = env.string(.s3Endpoint)
        let region = env.string(.awsRegion)
        let accessKeyId = env.string(.awsAccessKeyId)
        let secret = try env.secret(.awsSecretAccessKey, orFile: .awsSecretAccessKeyFile)
        guard !endpoint.isEmpty else { return nil }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw SettingsError(variable: SettingKey.s3Endpoint.name, expected: "an http:// or https:// URL", found: endpoint)
        }
        guard !accessKeyId.isEmpty else {
            throw SettingsError(variable: SettingKey.awsAccessKeyId.name, expected: "an access key id (or S3_ACCESS_KEY_ID) when S3_ENDPOINT is set", found: nil)
        }
        guard !secret.isEmpty else {
            throw SettingsError(variable: SettingKey.awsSecretAccessKey.name, expected: "a secret access key (or S3_SECRET_ACCESS_KEY) when S3_ENDPOINT is set", found: nil)
        }
        self.endpoint = endpoint.trimmingSuffix("/")
        self.region = region
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secret
        self.sessionToken = env.string(.awsSessionToken).nilIfEmpty
    }
}
