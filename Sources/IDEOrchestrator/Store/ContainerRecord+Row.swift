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
        id = try columns.string()
        serviceName = try columns.string()
        serviceId = try columns.optionalString()
        status = try columns.raw()
        s3Bucket = try columns.optionalString()
        s3Region = try columns.optionalString()
        userId = try columns.optionalString()
        isPreWarmed = try columns.bool()
        createdAt = try columns.date()
        readyAt = try columns.optionalDate()
        assignedAt = try columns.optionalDate()
        stoppedAt = try columns.optionalDate()
        lastActivityAt = try columns.optionalDate()
        shutdownReason = try columns.optionalRaw()
        cpuLimit = try columns.double()
        memoryLimitBytes = try columns.int64()
        codeUrl = try columns.string()
        vncUrl = try columns.string()
        webUrl = try columns.string()
        taskAddress = try columns.optionalString()
        claimMillis = try columns.optionalDouble()
        healthStatus = try columns.string()
        lastHealthCheckAt = try columns.optionalDate()
        consecutiveHealthFailures = try columns.int()
        healthPorts = try columns.optionalString()
        unhealthySince = try columns.optionalDate()
        activityTokenHash = try columns.optionalString()
        statusSince = try columns.optionalDate()
        ownerEpoch = try columns.optionalString()
        taskId = try columns.optionalString()
        activityTracked = try columns.bool()
        servedWarm = try columns.optionalBool()
        agentPort = try columns.int()
        workspacePrefix = try columns.optionalString()
        credentialsExpireAt = try columns.optionalDate()
        workspaceSync = try columns.optionalString()
        serviceRemovedAt = try columns.optionalDate()
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
        "agentPort",
        "workspacePrefix",
        "credentialsExpireAt",
        "workspaceSync",
        "serviceRemovedAt",
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
            agentPort.databaseValue,
            workspacePrefix.databaseValue,
            StoredDate.databaseValue(credentialsExpireAt),
            workspaceSync.databaseValue,
            StoredDate.databaseValue(serviceRemovedAt),
        ]
    }
}

/// Reads a row's columns one after the other.
struct StoredColumns {
    private let values: [DatabaseValue]
    private var index = 0

    init(_ row: Row, expected: Int) throws {
        guard row.count == expected else {
            throw DatabaseError(message: "a container row has \(row.count) columns where \(expected) are stored; select ContainerRecord.storedColumns")
        }
        values = Array(row.databaseValues)
    }

    /// The next column's value, from SQLite's storage classes without GRDB's generic decoding
    /// (which looks up type metadata for every optional column of every row).
    private mutating func next() -> DatabaseValue {
        defer { index += 1 }
        return values[index]
    }

    private func mismatch(_ expected: String, _ value: DatabaseValue) -> DatabaseError {
        DatabaseError(message: "column \(index - 1) of a container row holds \(value) where \(expected) is stored")
    }

    mutating func optionalString() throws -> String? {
        let value = next()
        switch value.storage {
        case .null: return nil
        case .string(let text): return text
        default: throw mismatch("text", value)
        }
    }

    mutating func string() throws -> String {
        guard let text = try optionalString() else { throw mismatch("text", .null) }
        return text
    }

    mutating func optionalInt64() throws -> Int64? {
        let value = next()
        switch value.storage {
        case .null: return nil
        case .int64(let number): return number
        case .double(let number) where number.rounded() == number: return Int64(number)
        default: throw mismatch("an integer", value)
        }
    }

    mutating func int64() throws -> Int64 {
        guard let number = try optionalInt64() else { throw mismatch("an integer", .null) }
        return number
    }

    mutating func int() throws -> Int { Int(try int64()) }

    mutating func optionalBool() throws -> Bool? { try optionalInt64().map { $0 != 0 } }

    mutating func bool() throws -> Bool { try int64() != 0 }

    mutating func optionalDouble() throws -> Double? {
        let value = next()
        switch value.storage {
        case .null: return nil
        case .double(let number): return number
        case .int64(let number): return Double(number)
        default: throw mismatch("a number", value)
        }
    }

    mutating func double() throws -> Double {
        guard let number = try optionalDouble() else { throw mismatch("a number", .null) }
        return number
    }

    mutating func optionalRaw<Value: RawRepresentable<String>>() throws -> Value? {
        guard let text = try optionalString() else { return nil }
        guard let value = Value(rawValue: text) else { throw mismatch("one of \(Value.self)", text.databaseValue) }
        return value
    }

    mutating func raw<Value: RawRepresentable<String>>() throws -> Value {
        guard let value: Value = try optionalRaw() else { throw mismatch("one of \(Value.self)", .null) }
        return value
    }

    mutating func optionalDate() throws -> Date? {
        let value = next()
        if value.isNull { return nil }
        guard let date = StoredDate.date(from: value) else { throw mismatch("a date", value) }
        return date
    }

    mutating func date() throws -> Date {
        guard let date = try optionalDate() else { throw mismatch("a date", .null) }
        return date
    }
}
