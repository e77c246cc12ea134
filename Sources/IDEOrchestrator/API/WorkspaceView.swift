import Foundation

/// A container's workspace as `GET /api/containers/:id` shows it: the prefix inside its bucket,
/// its agent's port, when its temporary credentials expire, and the agent's latest sync state.
struct WorkspaceView: Encodable {
    /// The agent's sync state, every field present (null when the agent did not say).
    struct Sync: Encodable {
        var sync: WorkspaceSync
        enum CodingKeys: CodingKey { case state, lastPushAt, lastPullAt, pendingChanges, conflicts, error }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sync.state, forKey: .state)
            try c.encode(sync.lastPushAt, forKey: .lastPushAt)
            try c.encode(sync.lastPullAt, forKey: .lastPullAt)
            try c.encode(sync.pendingChanges, forKey: .pendingChanges)
            try c.encode(sync.conflicts, forKey: .conflicts)
            try c.encode(sync.error, forKey: .error)
        }
    }

    var prefix: String?
    var agentPort: Int
    var credentialsExpireAt: Date?
    var sync: Sync?

    init(_ record: ContainerRecord) {
        prefix = record.workspacePrefix
        agentPort = record.agentPort
        credentialsExpireAt = record.credentialsExpireAt
        sync = WorkspaceSync(storedText: record.workspaceSync).map(Sync.init)
    }

    enum CodingKeys: CodingKey { case prefix, agentPort, credentialsExpireAt, sync }

    // Explicit nulls, so every field is always present.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prefix, forKey: .prefix)
        try c.encode(agentPort, forKey: .agentPort)
        try c.encode(credentialsExpireAt, forKey: .credentialsExpireAt)
        try c.encode(sync, forKey: .sync)
    }
}
