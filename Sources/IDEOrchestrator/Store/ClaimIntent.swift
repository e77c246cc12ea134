import Foundation

/// What a claim commits with the container before the agent is called: whose it becomes.
/// A crash after the agent accepted therefore leaves a record that says which bucket it holds.
public struct ClaimIntent: Sendable {
    /// The bucket.
    public var bucket: String
    /// Its region.
    public var region: String
    /// The platform's user id, if given.
    public var userId: String?
    /// SHA-256 of the activity token sent to the agent.
    public var activityTokenHash: String
    /// Whether the agent is given a URL to report activity to.
    public var activityTracked: Bool
    /// Whether the claim is served without waiting for a launch.
    public var servedWarm: Bool
    /// The run making the claim.
    public var epoch: Epoch
    /// The key prefix inside the bucket, if the request gave one.
    public var workspacePrefix: String?
    /// When the temporary credentials handed over expire, if they do.
    public var credentialsExpireAt: Date?

    /// Creates an intent.
    public init(
        bucket: String, region: String, userId: String?, activityTokenHash: String, activityTracked: Bool, servedWarm: Bool = true, epoch: Epoch,
        workspacePrefix: String? = nil, credentialsExpireAt: Date? = nil
    ) {
        self.bucket = bucket
        self.region = region
        self.userId = userId
        self.activityTokenHash = activityTokenHash
        self.activityTracked = activityTracked
        self.servedWarm = servedWarm
        self.epoch = epoch
        self.workspacePrefix = workspacePrefix
        self.credentialsExpireAt = credentialsExpireAt
    }

    func apply(to record: inout ContainerRecord, at now: Date) {
        record.s3Bucket = bucket
        record.s3Region = region
        record.userId = userId
        record.assignedAt = now
        record.lastActivityAt = now
        record.activityTokenHash = activityTokenHash
        record.activityTracked = activityTracked
        record.servedWarm = servedWarm
        record.workspacePrefix = workspacePrefix
        record.credentialsExpireAt = credentialsExpireAt
    }

    static func clear(_ record: inout ContainerRecord) {
        record.s3Bucket = nil
        record.s3Region = nil
        record.userId = nil
        record.assignedAt = nil
        record.lastActivityAt = nil
        record.activityTokenHash = nil
        record.activityTracked = false
        record.servedWarm = nil
        record.workspacePrefix = nil
        record.credentialsExpireAt = nil
    }
}
