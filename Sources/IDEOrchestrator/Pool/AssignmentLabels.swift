import Foundation

/// Each assignment written onto its Swarm service's labels right after the claim: bucket,
/// region, user id and key prefix, never credentials. Labels are the engine's record, out of
/// any tenant's reach, so after a lost database adoption decides from them rather than from
/// what a container's agent says (`Reconciler+Adoption`). A label update does not restart the task.
public enum AssignmentLabels {
    public static let bucket = "ide-orchestrator.assignment.bucket"
    public static let region = "ide-orchestrator.assignment.region"
    public static let user = "ide-orchestrator.assignment.user"
    public static let prefix = "ide-orchestrator.assignment.prefix"

    /// What an assigned record's service is labelled with.
    public static func labels(of record: ContainerRecord) -> [String: String] {
        guard let bucket = record.s3Bucket else { return [:] }
        var labels = [Self.bucket: bucket]
        labels[region] = record.s3Region
        labels[user] = record.userId
        labels[prefix] = record.workspacePrefix
        return labels
    }

    /// The assignment a service's labels record, when they record a well-formed one.
    public struct Assignment: Sendable, Equatable {
        public var bucket: String
        public var region: String?
        public var userId: String?
        public var workspacePrefix: String?
    }

    /// Reads the assignment back; nil when the service carries none (or a malformed bucket).
    public static func assignment(in labels: [String: String]) -> Assignment? {
        guard let bucket = labels[bucket], BucketName.problem(with: bucket) == nil else { return nil }
        return Assignment(bucket: bucket, region: labels[region], userId: labels[user], workspacePrefix: labels[prefix])
    }
}

extension ContainerLauncher {
    /// Writes the running record's assignment onto its service's labels, off the request path
    /// (`removals`, retried with backoff). A service already gone needs no label.
    public func labelAssignmentInBackground(_ record: ContainerRecord) {
        guard let serviceId = record.serviceId else { return }
        let labels = AssignmentLabels.labels(of: record)
        guard !labels.isEmpty else { return }
        removals.submit("label the assignment of \(record.id)") { [engine, logger] in
            do {
                try await engine.addServiceLabels(serviceId, labels)
                return true
            } catch let error as DockerError where error.code == .serviceNotFound {
                return true
            } catch {
                logger.warning("Labelling an assignment failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
                return false
            }
        }
    }
}
