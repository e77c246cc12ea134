import GRDB

extension AppDatabase {
    /// Append-only schema history; a shipped migration is never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: containers and events") { db in
            try db.create(table: "container") { t in
                t.primaryKey("id", .text)
                t.column("serviceName", .text).notNull().unique()
                t.column("serviceId", .text)
                t.column("status", .text).notNull()
                t.column("s3Bucket", .text)
                t.column("s3Region", .text)
                t.column("userId", .text)
                t.column("isPreWarmed", .boolean).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("readyAt", .datetime)
                t.column("assignedAt", .datetime)
                t.column("stoppedAt", .datetime)
                t.column("lastActivityAt", .datetime)
                t.column("shutdownReason", .text)
                t.column("cpuLimit", .double).notNull()
                t.column("memoryLimitBytes", .integer).notNull()
                t.column("codeUrl", .text).notNull()
                t.column("vncUrl", .text).notNull()
                t.column("webUrl", .text).notNull()
                t.column("taskAddress", .text)
                t.column("claimMillis", .double)
                t.column("healthStatus", .text).notNull().defaults(to: "unknown")
                t.column("lastHealthCheckAt", .datetime)
                t.column("consecutiveHealthFailures", .integer).notNull().defaults(to: 0)
                t.column("healthPorts", .text)
                t.column("unhealthySince", .datetime)
                t.column("activityTokenHash", .text)
            }
            try db.create(index: "container_on_status", on: "container", columns: ["status"])
            try db.create(index: "container_on_pool", on: "container", columns: ["isPreWarmed", "status", "readyAt"])
            try db.create(index: "container_on_bucket", on: "container", columns: ["s3Bucket", "status"])
            try db.create(index: "container_on_serviceId", on: "container", columns: ["serviceId"])
            try db.create(index: "container_on_createdAt", on: "container", columns: ["createdAt"])

            try db.create(table: "containerEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("containerId", .text).notNull().indexed().references("container", onDelete: .cascade)
                t.column("at", .datetime).notNull()
                t.column("kind", .text).notNull()
                t.column("fromStatus", .text)
                t.column("toStatus", .text)
                t.column("reason", .text)
            }
        }
        migrator.registerMigration("v2: lifecycle ownership, task identity, activity tracking") { db in
            try db.alter(table: "container") { t in
                t.add(column: "statusSince", .datetime)
                t.add(column: "ownerEpoch", .text)
                t.add(column: "taskId", .text)
                t.add(column: "activityTracked", .boolean).notNull().defaults(to: false)
            }
            try db.execute(sql: "UPDATE container SET statusSince = COALESCE(stoppedAt, assignedAt, readyAt, createdAt)")
        }
        migrator.registerMigration("v3: how each claim was served") { db in
            try db.alter(table: "container") { t in
                t.add(column: "servedWarm", .boolean)
            }
            try db.execute(sql: "UPDATE container SET servedWarm = isPreWarmed WHERE assignedAt IS NOT NULL")
        }
        migrator.registerMigration("v4: indexes for claims and recent claims") { db in
            // A claim takes the oldest ready container: the index hands it over in order.
            try db.create(index: "container_on_status_readyAt", on: "container", columns: ["status", "readyAt", "createdAt"])
            // `/api/queue` lists the latest claims without sorting every record kept.
            try db.create(index: "container_on_assignedAt", on: "container", columns: ["assignedAt"])
        }
        migrator.registerMigration("v5: no index that no search needs") { db in
            // Every index an update touches is pages in the log at every status change (a claim
            // changes status twice). `container_on_status_readyAt` starts with status and serves
            // every search by status, the pool's included; no search starts with isPreWarmed.
            try db.execute(sql: "DROP INDEX IF EXISTS container_on_status")
            try db.execute(sql: "DROP INDEX IF EXISTS container_on_pool")
        }
        migrator.registerMigration("v6: workspace contract (agent port, prefix, credentials expiry, sync state)") { db in
            try db.alter(table: "container") { t in
                t.add(column: "agentPort", .integer).notNull().defaults(to: 3000)
                t.add(column: "workspacePrefix", .text)
                t.add(column: "credentialsExpireAt", .datetime)
                t.add(column: "workspaceSync", .text)
            }
        }
        migrator.registerMigration("v7: bucket release (service removal confirmed)") { db in
            try db.alter(table: "container") { t in
                t.add(column: "serviceRemovedAt", .datetime)
            }
            // Records that ended before this column existed: their services were removed, or are
            // removed by the reconciler without holding their buckets any longer.
            try db.execute(sql: "UPDATE container SET serviceRemovedAt = COALESCE(stoppedAt, statusSince, createdAt) WHERE status IN ('stopped', 'failed')")
        }
        return migrator
    }
}
