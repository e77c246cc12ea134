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
        container["id"] = id
        container["serviceName"] = serviceName
        container["serviceId"] = serviceId
        container["status"] = status
        container["s3Bucket"] = s3Bucket
        container["s3Region"] = s3Region
        container["userId"] = userId
        container["isPreWarmed"] = isPreWarmed
        container["createdAt"] = StoredDate.databaseValue(createdAt)
        container["readyAt"] = StoredDate.databaseValue(readyAt)
        container["assignedAt"] = StoredDate.databaseValue(assignedAt)
        container["stoppedAt"] = StoredDate.databaseValue(stoppedAt)
        container["lastActivityAt"] = StoredDate.databaseValue(lastActivityAt)
        container["shutdownReason"] = shutdownReason
        container["cpuLimit"] = cpuLimit
        container["memoryLimitBytes"] = memoryLimitBytes
        container["codeUrl"] = codeUrl
        container["vncUrl"] = vncUrl
        container["webUrl"] = webUrl
        container["taskAddress"] = taskAddress
        container["claimMillis"] = claimMillis
        container["healthStatus"] = healthStatus
        container["lastHealthCheckAt"] = StoredDate.databaseValue(lastHealthCheckAt)
        container["consecutiveHealthFailures"] = consecutiveHealthFailures
        container["healthPorts"] = healthPorts
        container["unhealthySince"] = StoredDate.databaseValue(unhealthySince)
        container["activityTokenHash"] = activityTokenHash
        container["statusSince"] = StoredDate.databaseValue(statusSince)
        container["ownerEpoch"] = ownerEpoch
        container["taskId"] = taskId
        container["activityTracked"] = activityTracked
        container["servedWarm"] = servedWarm
    }
}
