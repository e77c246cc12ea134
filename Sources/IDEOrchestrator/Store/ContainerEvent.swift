import Foundation
import GRDB

/// One entry of a container's audit trail: what happened, when and why.
public struct ContainerEvent: Codable, Sendable, Equatable {
    /// Row id.
    public var id: Int64?
    /// The container it is about.
    public var containerId: String
    /// When it happened.
    public var at: Date
    /// What happened, e.g. `created`, `ready`, `claimed`, `assignment_failed`, `stopped`.
    public var kind: String
    /// The status before, if the event changed it.
    public var fromStatus: ContainerStatus?
    /// The status after, if the event changed it.
    public var toStatus: ContainerStatus?
    /// Why, in words; never a secret.
    public var reason: String?

    /// Creates an event.
    public init(containerId: String, at: Date, kind: String, fromStatus: ContainerStatus? = nil, toStatus: ContainerStatus? = nil, reason: String? = nil) {
        self.containerId = containerId
        self.at = at
        self.kind = kind
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.reason = reason
    }
}

extension ContainerEvent: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "containerEvent"

    /// Typed column names for queries.
    public enum Columns {
        static let containerId = Column(CodingKeys.containerId)
        static let at = Column(CodingKeys.at)
        static let kind = Column(CodingKeys.kind)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
