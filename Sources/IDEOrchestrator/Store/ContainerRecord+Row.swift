import Foundation
import GRDB

/// Row conversion by hand: GRDB's `Codable` path builds a decoder per record and converts
/// every date through a formatter, which made listing and claiming records cost more than
/// the SQL did. Dates use `StoredDate` (GRDB's own text format).
extension ContainerRecord {
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        serviceName = try row.decode(forColumn: "serviceName")
        serviceId = try row.decode(forColumn: "serviceId")
        status = try row.decode(forColumn: "status")
        s3Bucket = try row.decode(forColumn: "s3Bucket")
        s3Region = try row.decode(forColumn: "s3Region")
        userId = try row.decode(forColumn: "userId")
        isPreWarmed = try row.decode(forColumn: "isPreWarmed")
        createdAt = try StoredDate.decodeRequired(row, "createdAt")
        readyAt = try StoredDate.decode(row, "readyAt")
        assignedAt = try StoredDate.decode(row, "assignedAt")
        stoppedAt = try StoredDate.decode(row, "stoppedAt")
        lastActivityAt = try StoredDate.decode(row, "lastActivityAt")
        shutdownReason = try row.decode(forColumn: "shutdownReason")
        cpuLimit = try row.decode(forColumn: "cpuLimit")
        memoryLimitBytes = try row.decode(forColumn: "memoryLimitBytes")
        codeUrl = try row.decode(forColumn: "codeUrl")
        vncUrl = try row.decode(forColumn: "vncUrl")
        webUrl = try row.decode(forColumn: "webUrl")
        taskAddress = try row.decode(forColumn: "taskAddress")
        claimMillis = try row.decode(forColumn: "claimMillis")
        healthStatus = try row.decode(forColumn: "healthStatus")
        lastHealthCheckAt = try StoredDate.decode(row, "lastHealthCheckAt")
        consecutiveHealthFailures = try row.decode(forColumn: "consecutiveHealthFailures")
        healthPorts = try row.decode(forColumn: "healthPorts")
        unhealthySince = try StoredDate.decode(row, "unhealthySince")
        activityTokenHash = try row.decode(forColumn: "activityTokenHash")
        statusSince = try StoredDate.decode(row, "statusSince")
        ownerEpoch = try row.decode(forColumn: "ownerEpoch")
        taskId = try row.decode(forColumn: "taskId")
        activityTracked = try row.decode(forColumn: "activityTracked")
        servedWarm = try row.decode(forColumn: "servedWarm")
    }

    public func encode(to container: inout PersistenceContainer) throws {
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }

    /// Every column, in the order of `storedValues`.
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
