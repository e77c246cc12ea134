import Foundation

/// Adoption: a service of this instance that has no record (the database was lost or
/// replaced) is taken into the store on the first pass that sees its task running. It decides
/// from what the engine records, never from what the container says of itself: a tenant with
/// root in its container controls its agent's answers.
///
/// - Labelled with an assignment (`AssignmentLabels`): `running` with that bucket, region,
///   user and prefix, so its user's next start is a reuse.
/// - Unlabelled, and its agent says it is free: retired (`stopped`, reason `orphaned`) and
///   replaced by the pool, never handed out: a free answer is exactly what a tampered agent
///   would give to receive the next user's bucket credentials.
/// - Anything else (the agent claims an assignment, answers 401 because the token key was lost,
///   or does not answer): `running` without a bucket, never handed out and holding no bucket,
///   stopped once `IDLE_TIMEOUT_SECONDS` pass without reported activity.
///
/// Each case ends on that pass; a service without a running task is removed once it is older
/// than the launch grace period (`ReconcilePlanner`).
extension Reconciler {
    func adopt(serviceId: String, id: String, address: String, taskId: String?, pooled: Bool) async throws {
        let labels = (try await engine.service(serviceId)).spec.labels
        let agentPort = ServiceBlueprint.agentPort(of: labels)
        let health = await agent.health(address: address, port: agentPort, containerId: id)
        let now = Date()
        var record = ContainerRecord(
            id: id, isPreWarmed: pooled, cpuLimit: settings.containerCPULimit, memoryLimitBytes: settings.containerMemoryLimit,
            urls: RoutePlan(settings: settings).urls(for: id), now: now
        )
        (record.serviceId, record.taskAddress, record.taskId, record.agentPort) = (serviceId, address, taskId, agentPort)
        record.workspaceSync = health?.sync?.storedText
        record.readyAt = now
        let reason: String
        if let assignment = AssignmentLabels.assignment(in: labels) {
            record.status = .running
            (record.s3Bucket, record.s3Region, record.userId, record.workspacePrefix) = (assignment.bucket, assignment.region, assignment.userId, assignment.workspacePrefix)
            record.assignedAt = now
            record.lastActivityAt = health?.lastActivityAt.map { min($0, now) } ?? now
            record.activityTracked = health?.lastActivityAt != nil
            reason = "adopted: its service's labels record bucket \(assignment.bucket)"
        } else if health?.isVerifiedFree == true {
            record.status = .stopping
            record.shutdownReason = .orphaned
            record.ownerEpoch = epoch.id
            reason = "orphaned: adopted without an assignment label; a container's own word that it is free is not trusted, so it is replaced"
        } else {
            record.status = .running
            record.assignedAt = now
            record.lastActivityAt = now
            record.activityTracked = true
            let said = health == nil ? "its agent does not answer" : "its agent claims an assignment its labels do not record"
            reason = "adopted: \(said); kept without a bucket, never handed out, stopped when idle"
        }
        guard try await store.insertIfAbsent(record, reason: reason) else { return }
        logger.info("Adopted a service without a record", metadata: ["container.id": "\(id)", "status": "\(record.status.rawValue)"])
        if record.status == .stopping {
            try await stopper.finish(record)
        }
    }
}
