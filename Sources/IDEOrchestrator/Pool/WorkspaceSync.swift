import Foundation

/// What an agent says of its workspace sync in the `sync` object of `GET /health`. The agent
/// runs in a container its user controls: every field is bounded, and an answer that does not
/// fit is dropped rather than believed.
public struct WorkspaceSync: Codable, Sendable, Equatable {
    /// The sync states of the contract.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Not assigned yet.
        case idle
        /// The first pull from the bucket is running.
        case hydrating
        /// Hydrated and syncing.
        case ready
        /// The last pass failed (`error` says why); the agent keeps retrying.
        case error
    }

    /// The longest text kept of the agent's error.
    public static let maxErrorLength = 200

    /// The state.
    public var state: State
    /// When local changes last reached the bucket.
    public var lastPushAt: Date?
    /// When the bucket's changes were last pulled.
    public var lastPullAt: Date?
    /// Local changes not pushed yet.
    public var pendingChanges: Int?
    /// Files both sides changed (kept as two versions).
    public var conflicts: Int?
    /// Why the last pass failed, at most `maxErrorLength` characters.
    public var error: String?

    /// Creates a sync state.
    public init(state: State, lastPushAt: Date? = nil, lastPullAt: Date? = nil, pendingChanges: Int? = nil, conflicts: Int? = nil, error: String? = nil) {
        self.state = state
        self.lastPushAt = lastPushAt
        self.lastPullAt = lastPullAt
        self.pendingChanges = pendingChanges
        self.conflicts = conflicts
        self.error = error
    }

    /// The state as stored in the record (compact JSON, keys sorted so an unchanged state
    /// stores the same text and is not written again).
    public var storedText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var single = encoder.singleValueContainer()
            try single.encode(Timestamp.string(date))
        }
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The state stored as `text`, or nil when there is none (or it does not read).
    public init?(storedText text: String?) {
        guard let text, let parsed = try? JSONDecoder().decode(AgentSyncAnswer.self, from: Data(text.utf8)).sync else { return nil }
        self = parsed
    }
}

/// The agent's `sync` object read leniently: a field of the wrong type or out of bounds is
/// left out; an object without a known `state` is no sync state at all.
struct AgentSyncAnswer: Decodable {
    /// What was understood, if anything.
    var sync: WorkspaceSync?

    private enum Keys: String, CodingKey {
        case state, lastPushAt, lastPullAt, pendingChanges, conflicts, error
    }

    init(from decoder: any Decoder) {
        guard let fields = try? decoder.container(keyedBy: Keys.self),
              let stateText = (try? fields.decodeIfPresent(String.self, forKey: .state)) ?? nil,
              let state = WorkspaceSync.State(rawValue: stateText)
        else {
            sync = nil
            return
        }
        func date(_ key: Keys) -> Date? {
            guard let text = (try? fields.decodeIfPresent(String.self, forKey: key)) ?? nil, text.utf8.count <= 64 else { return nil }
            return RFC3339.date(text)
        }
        func count(_ key: Keys) -> Int? {
            guard let value = (try? fields.decodeIfPresent(Double.self, forKey: key)) ?? nil, value.isFinite, value >= 0 else { return nil }
            return Int(min(value.rounded(.down), 1_000_000_000))
        }
        let error = ((try? fields.decodeIfPresent(String.self, forKey: .error)) ?? nil).map(Self.clamped)
        sync = WorkspaceSync(
            state: state, lastPushAt: date(.lastPushAt), lastPullAt: date(.lastPullAt),
            pendingChanges: count(.pendingChanges), conflicts: count(.conflicts), error: error?.isEmpty == true ? nil : error
        )
    }

    /// One line of at most `maxErrorLength` printable characters.
    static func clamped(_ text: String) -> String {
        let printable = text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : String($0) }.joined()
        return String(printable.trimmingCharacters(in: .whitespaces).prefix(WorkspaceSync.maxErrorLength))
    }
}

/// Decodes the `sync` member of a health answer without ever failing the whole answer.
struct LenientSync: Decodable {
    /// What was understood.
    var value: WorkspaceSync?

    init(from decoder: any Decoder) {
        value = AgentSyncAnswer(from: decoder).sync
    }
}
