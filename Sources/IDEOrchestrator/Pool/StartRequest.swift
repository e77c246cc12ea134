/// The body of `POST /api/containers/start`.
public struct StartRequest: Decodable, Sendable {
    /// The bucket to assign (required).
    public var s3Bucket: String?
    /// Its region.
    public var s3Region: String?
    /// Access key id for the container's sync.
    public var awsAccessKeyId: String?
    /// Secret access key for the container's sync.
    public var awsSecretAccessKey: String?
    /// VNC password.
    public var vncPassword: String?
    /// The platform's user id.
    public var userId: String?
    /// The key prefix inside the bucket the workspace syncs with (absent: the whole bucket).
    public var workspacePrefix: String?

    /// Creates a request.
    public init(s3Bucket: String?, s3Region: String? = nil, awsAccessKeyId: String? = nil, awsSecretAccessKey: String? = nil, vncPassword: String? = nil, userId: String? = nil, workspacePrefix: String? = nil) {
        self.s3Bucket = s3Bucket
        self.s3Region = s3Region
        self.awsAccessKeyId = awsAccessKeyId
        self.awsSecretAccessKey = awsSecretAccessKey
        self.vncPassword = vncPassword
        self.userId = userId
        self.workspacePrefix = workspacePrefix
    }
}

/// The outcome of a start request.
public struct StartResult: Sendable {
    /// The container handed out.
    public var record: ContainerRecord
    /// Whether it came from the warm pool.
    public var isPreWarmed: Bool
    /// Whether it was already serving this bucket.
    public var isReused: Bool
    /// Whether Traefik was not yet seen routing its URLs (`ROUTE_WAIT_TIMEOUT` ran out).
    public var routePending = false
}
