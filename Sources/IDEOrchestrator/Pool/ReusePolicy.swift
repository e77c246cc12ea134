/// What a start request does about the containers that already hold its bucket. A bucket is
/// synced by at most one live container, so it is reused or refused, never given a second one.
///
/// The rule: a running, healthy container of the same user (`userId` equal, absent matching
/// absent) is reused; an unhealthy one of the same user is replaced; an `assigning` one left
/// by an earlier run is resolved with its agent first; any other assigned holder is a conflict.
/// A container that ended (stopping, stopped or failed) holds the bucket until its service is
/// confirmed gone: the start waits for that (`BucketRelease`), then claims.
public enum ReusePolicy {
    /// The decision.
    public enum Decision: Sendable, Equatable {
        /// Nobody holds the bucket: claim a container.
        case claimNew
        /// Hand back this running container.
        case reuse(ContainerRecord)
        /// Stop this unhealthy container of the same user, then claim a new one.
        case replace(ContainerRecord)
        /// Ask this container's agent whether an interrupted assignment took effect.
        case resolve(ContainerRecord)
        /// Refuse: someone else holds the bucket, or an assignment of it is under way.
        case conflict(String)
        /// Wait until these ended containers' services are gone, then claim.
        case awaitRelease([ContainerRecord])
    }

    /// Decides from the containers holding the bucket (`AppDatabase.bucketHolders`).
    public static func decide(_ all: [ContainerRecord], userId: String?, epoch: Epoch) -> Decision {
        let holders = all.filter { ContainerStatus.assigned.contains($0.status) }
        let ending = all.filter { !ContainerStatus.assigned.contains($0.status) }
        if let interrupted = holders.first(where: { $0.status == .assigning && $0.ownerEpoch != epoch.id }) {
            return .resolve(interrupted)
        }
        if holders.contains(where: { $0.status == .assigning }) {
            return .conflict("an assignment of this bucket is under way")
        }
        if let own = holders.first(where: { $0.status == .running && $0.userId == userId }) {
            return own.healthStatus == "unhealthy" ? .replace(own) : .reuse(own)
        }
        if !holders.isEmpty {
            return .conflict("this bucket is held by another user's container")
        }
        return ending.isEmpty ? .claimNew : .awaitRelease(ending)
    }
}
