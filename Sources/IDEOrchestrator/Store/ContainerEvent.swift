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

/// Read from the table; written only by `ContainerEvent.append` (one prepared insert).
extension ContainerEvent: FetchableRecord, TableRecord {
    public static let databaseTableName = "containerEvent"

    /// Typed column names for queries.
    public enum Columns {
        static let containerId = Column(CodingKeys.containerId)
        static let at = Column(CodingKeys.at)
        static let kind = Column(CodingKeys.kind)
    }

    /// Read by hand: GRDB's `Codable` path converts `at` through Foundation's calendar, which
    /// loads ICU's locale and time zone data into the process (3 MB resident) for one date.
    public init(row: Row) throws {
        id = row["id"]
        containerId = row["containerId"]
        guard let at = StoredDate.date(from: row["at"]) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "event \(id.map(String.init) ?? "?") has no readable time")
        }
        self.at = at
        kind = row["kind"]
        fromStatus = (row["fromStatus"] as String?).flatMap(ContainerStatus.init(rawValue:))
        toStatus = (row["toStatus"] as String?).flatMap(ContainerStatus.init(rawValue:))
        reason = row["reason"]
    }
}
