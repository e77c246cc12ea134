import Foundation

/// Which of this instance's agent-token secrets nobody needs any more. Pure, like the
/// reconcile planner: a secret is an orphan when no live record and no service of its
/// container exists and it is older than the grace period (a launch creates the secret just
/// before the service, so a younger one may belong to a launch in progress).
public enum SecretSweep {
    /// The secrets to remove.
    public static func orphans(_ secrets: [DockerSecret], serviceContainerIds: Set<String>, liveRecordIds: Set<String>, now: Date, grace: TimeInterval) -> [DockerSecret] {
        secrets.filter { secret in
            guard let created = secret.created, now.timeIntervalSince(created) > grace else { return false }
            guard let id = secret.spec.labels?[ServiceBlueprint.idLabel] else { return true }
            return !serviceContainerIds.contains(id) && !liveRecordIds.contains(id)
        }
    }
}
