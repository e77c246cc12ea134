import Foundation
import GRDB

/// Row conversion by hand: GRDB's `Codable` path builds a decoder per record and converts
/// every date through a formatter, which made listing and claiming records cost more than
/// the SQL did. Dates use `StoredDate` (GRDB's own text format).
extension ContainerRecord {
    /// Reads the columns by position, in the order of `storedColumns` (the table's own order,
    /// pinned by a test): a lookup by name costs a case-insensitive search per column.
    public init(row: Row) throws {
        var columns = try StoredColumns(row, expected: Self.storedColumns.count)
        id = try columns.next()
        serviceName = try columns.next()
        serviceId = try columns.next()
        status = try columns.next()
        s3Bucket = try columns.next()
        s3Region = try columns.next()
        userId = try columns.next()
        isPreWarmed = try columns.next()
        createdAt = try columns.nextRequiredDate()
        readyAt = try columns.nextDate()
        assignedAt = try columns.nextDate()
        stoppedAt = try columns.nextDate()
        lastActivityAt = try columns.nextDate()
        shutdownReason = try columns.next()
        cpuLimit = try columns.next()
        memoryLimitBytes = try columns.next()
        codeUrl = try columns.next()
        vncUrl = try columns.next()
        webUrl = try columns.next()
        taskAddress = try columns.next()
        claimMillis = try columns.next()
        healthStatus = try columns.next()
        lastHealthCheckAt = try columns.nextDate()
        consecutiveHealthFailures = try columns.next()
        healthPorts = try columns.next()
        unhealthySince = try columns.nextDate()
        activityTokenHash = try columns.next()
        statusSince = try columns.nextDate()
        ownerEpoch = try columns.next()
        taskId = try columns.next()
        activityTracked = try columns.next()
        servedWarm = try columns.next()
    }

    public func encode(to container: inout PersistenceContainer) throws {
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }

    /// Query-interface requests select the stored columns, in their order.
    public static var databaseSelection: [any SQLSelectable] { storedColumns.map { Column($0) } }

    /// Every column, in the order of `storedValues` and of the table.
    static let storedColumns = [
        "id",
        "serviceName",
        "serviceId",
        "status",
        "s3Bucket",
        "s3Region",
        "userId",
        "isPreWarmed",
        "createdAt",
        "readyAt",
        "assignedAt",
        "stoppedAt",
        "lastActivityAt",
        "shutdownReason",
        "cpuLimit",
        "memoryLimitBytes",
        "codeUrl",
        "vncUrl",
        "webUrl",
        "taskAddress",
        "claimMillis",
        "healthStatus",
        "lastHealthCheckAt",
        "consecutiveHealthFailures",
        "healthPorts",
        "unhealthySince",
        "activityTokenHash",
        "statusSince",
        "ownerEpoch",
        "taskId",
        "activityTracked",
        "servedWarm",
    ]

    /// The record's stored values, in the order of `storedColumns`.
    var storedValues: [DatabaseValue] {
        [
            id.databaseValue,
            serviceName.databaseValue,
            serviceId.databaseValue,
            status.databaseValue,
            s3Bucket.databaseValue,
            s3Region.databaseValue,
            userId.databaseValue,
            isPreWarmed.databaseValue,
            StoredDate.databaseValue(createdAt),
            StoredDate.databaseValue(readyAt),
            StoredDate.databaseValue(assignedAt),
            StoredDate.databaseValue(stoppedAt),
            StoredDate.databaseValue(lastActivityAt),
            shutdownReason.databaseValue,
            cpuLimit.databaseValue,
            memoryLimitBytes.databaseValue,
            codeUrl.databaseValue,
            vncUrl.databaseValue,
            webUrl.databaseValue,
            taskAddress.databaseValue,
            claimMillis.databaseValue,
            healthStatus.databaseValue,
            StoredDate.databaseValue(lastHealthCheckAt),
            consecutiveHealthFailures.databaseValue,
            healthPorts.databaseValue,
            StoredDate.databaseValue(unhealthySince),
            activityTokenHash.databaseValue,
            StoredDate.databaseValue(statusSince),
            ownerEpoch.databaseValue,
            taskId.databaseValue,
            activityTracked.databaseValue,
            servedWarm.databaseValue,
        ]
    }
}

/// Reads a row's columns one after the other.
struct StoredColumns {
    private let row: Row
    private var index = 0

    init(_ row: Row, expected: Int) throws {
        guard row.count == expected else {
            throw DatabaseError(message: "a container row has \(row.count) columns where \(expected) are stored; select ContainerRecord.storedColumns")
        }
        self.row = row
    }

    mutating func next<Value: DatabaseValueConvertible>() throws -> Value {
        defer { index += 1 }
        return try row.decode(atIndex: index)
    }

    mutating func nextDate() throws -> Date? {
        defer { index += 1 }
        return try StoredDate.decode(row, atIndex: index)
    }

    mutating func nextRequiredDate() throws -> Date {
        defer { index += 1 }
        guard let date = try StoredDate.decode(row, atIndex: index) else { return try row.decode(Date.self, atIndex: index) }
        return date
    }
}
