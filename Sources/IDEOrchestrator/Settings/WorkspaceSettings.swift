import Foundation

/// How containers sync their workspace: the S3 endpoint they are told, and how long a stop
/// waits for their agent to push every change first.
public struct WorkspaceSettings: Sendable {
    /// Longest wait for an agent's `POST /flush` before its container's service is removed.
    public var flushTimeout: Duration
    /// The S3 endpoint assignments carry (`WORKSPACE_S3_ENDPOINT`, else `S3_ENDPOINT`); nil means AWS.
    public var s3Endpoint: String?

    /// Creates settings directly (tests).
    public init(flushTimeout: Duration = .seconds(60), s3Endpoint: String? = nil) {
        self.flushTimeout = flushTimeout
        self.s3Endpoint = s3Endpoint
    }

    init(_ env: EnvironmentReader, s3Endpoint checkEndpoint: String?) throws(SettingsError) {
        flushTimeout = try env.duration(.workspaceFlushTimeout, minimum: .seconds(1), maximum: .seconds(1800))
        let endpoint = env.string(.workspaceS3Endpoint).trimmingCharacters(in: .whitespaces)
        guard endpoint.isEmpty || Self.isEndpoint(endpoint) else {
            throw SettingsError(variable: SettingKey.workspaceS3Endpoint.name, expected: "an http:// or https:// URL the IDE containers reach S3 at, e.g. http://moto:5000", found: endpoint)
        }
        s3Endpoint = endpoint.isEmpty ? checkEndpoint : endpoint.trimmingSuffix("/")
    }

    /// An http(s) URL with a host and no spaces or control characters.
    static func isEndpoint(_ text: String) -> Bool {
        guard text.count <= 512, !text.contains(where: { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) }) else { return false }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else { return false }
        return true
    }
}
