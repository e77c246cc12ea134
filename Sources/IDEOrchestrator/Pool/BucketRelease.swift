import Foundation

/// Waits, at most `BUCKET_RELEASE_TIMEOUT`, until the containers that ended but still hold a
/// bucket let it go: a stop under way finishes (its workspace flush included), then the
/// service is removed and confirmed gone with every task. Past the bound the start is refused
/// with `BUCKET_BUSY`, so two agents never sync one bucket.
struct BucketRelease: Sendable {
    let store: AppDatabase
    let launcher: ContainerLauncher
    let timeout: Duration

    /// Returns once every holder has released the bucket; throws `BUCKET_BUSY` past the bound.
    func wait(for holders: [ContainerRecord]) async throws {
        let deadline = ContinuousClock.now + timeout
        for holder in holders {
            while let current = try await store.container(holder.id), current.serviceId != nil, current.serviceRemovedAt == nil {
                // A stop under way owns the service until its flush is done.
                if current.status != .stopping, await launcher.confirmGone(current) { break }
                guard ContinuousClock.now + ContainerLauncher.releasePoll < deadline else {
                    let why = current.status == .stopping ? "container \(current.id) is saving its workspace" : "container \(current.id) has not stopped yet"
                    throw APIError.bucketBusy(why, retryAfter: Self.retryAfter)
                }
                try await Task.sleep(for: ContainerLauncher.releasePoll)
            }
        }
    }

    /// The seconds a refused start is told to wait: a flush or a container's stop takes seconds.
    static let retryAfter = 10
}
