import Crypto
import Foundation
import Logging

/// The request path of `POST /api/containers/start`: validate, check the bucket, reuse or
/// refuse a container that already holds it, or claim a ready one and assign it.
///
/// A claim commits its intent (bucket, user, token hash, owner run) with `assigning` before the
/// agent is called, so a crash at any point leaves a record that recovery can finish.
public struct ClaimService: Sendable {
    let store: AppDatabase
    let launcher: ContainerLauncher
    let stopper: ContainerStopper
    let agent: any AgentClient
    let coldStarts: ColdStarter
    let resolver: AssignmentResolver
    let bucketChecker: (any BucketChecker)?
    let pool: PoolMaintainer
    let engineState: HealthState
    let settings: Settings
    let epoch: Epoch
    let logger: Logger
    private let bucketLocks = KeyedLock()

    /// Creates the service.
    public init(
        store: AppDatabase, launcher: ContainerLauncher, stopper: ContainerStopper, agent: any AgentClient, resources: any ResourceGate,
        bucketChecker: (any BucketChecker)?, pool: PoolMaintainer, engineState: HealthState, settings: Settings, epoch: Epoch, logger: Logger
    ) {
        self.store = store
        self.launcher = launcher
        self.stopper = stopper
        self.agent = agent
        self.coldStarts = ColdStarter(launcher: launcher, resources: resources, settings: settings, logger: logger)
        self.resolver = AssignmentResolver(store: store, launcher: launcher, agent: agent, logger: logger)
        self.bucketChecker = bucketChecker
        self.pool = pool
        self.engineState = engineState
        self.settings = settings
        self.epoch = epoch
        self.logger = logger
    }

    /// Hands out a container for the request's bucket; `arrived` is when the request came in.
    public func start(_ request: StartRequest, arrived: ContinuousClock.Instant = .now) async throws(APIError) -> StartResult {
        let bucket = try Self.validatedBucket(request.s3Bucket)
        let region = try Self.validatedRegion(request.s3Region) ?? settings.aws.region
        try Self.validateOptional(request)
        let credentials = try await AssignmentCredentials(settings: settings, logger: logger).resolve(Self.credentials(request), bucket: bucket)
        if let bucketChecker {
            try await bucketChecker.check(bucket: bucket, region: region, credentials: credentials)
        }
        let order = Order(request: request, bucket: bucket, region: region, credentials: credentials, arrived: arrived)
        // Without the engine a container handed out may already be gone (a stopped engine ends
        // every task) and nothing could replace it: starts wait for the engine.
        guard await engineState.current().engineReachable else {
            throw .engineUnavailable("The Docker engine cannot be reached")
        }
        do {
            return try await bucketLocks.withLock(bucket) { try await claimAndAssign(order) }
        } catch let error as APIError {
            throw error
        } catch let error as DockerError where error.code == .engineUnreachable {
            throw .engineUnavailable("The Docker engine cannot be reached")
        } catch {
            logger.error("Start failed", metadata: ["error": "\(error)"])
            throw .startFailed("The start was interrupted by an internal error; retry")
        }
    }

    /// One validated start request.
    struct Order: Sendable {
        var request: StartRequest
        var bucket: String
        var region: String
        var credentials: S3Credentials?
        var arrived: ContinuousClock.Instant
    }

    /// Applies `ReusePolicy` once to the containers holding the bucket: the reused container,
    /// or nil when the claim is to be tried again (the holder was replaced or resolved, or
    /// moved on meanwhile).
    private func settleHolders(of order: Order) async throws -> StartResult? {
        switch ReusePolicy.decide(try await store.bucketHolders(bucket: order.bucket), userId: order.request.userId, epoch: epoch) {
        case .claimNew:
            return nil
        case .reuse(let record):
            let now = Date()
            guard let refreshed = try await store.update(record.id, in: [.running], event: (kind: "reused", reason: nil), at: now, change: { $0.lastActivityAt = now }) else { return nil }
            return StartResult(record: refreshed, isPreWarmed: refreshed.servedPreWarmed, isReused: true)
        case .replace(let record):
            try await stopper.stop(record.id, reason: .replaced, detail: "unhealthy; its user asked again for the bucket", from: [.running]) { $0.healthStatus == "unhealthy" }
            return nil
        case .resolve(let record):
            await resolver.resolve(record)
            return nil
        case .conflict(let reason):
            throw APIError.bucketInUse(reason)
        case .awaitRelease(let ending):
            try await BucketRelease(store: store, launcher: launcher, timeout: settings.bucketReleaseTimeout).wait(for: ending)
            return nil
        }
    }

    /// Claims ready containers until one accepts (at most `CLAIM_MAX_ATTEMPTS`), waiting for a
    /// launch when none is ready (at most `COLD_START_TIMEOUT`). A claim checks in its own
    /// transaction that no live container holds the bucket; when one does, `settleHolders`
    /// reuses, replaces, resolves or refuses it first (at most three times). Requests that
    /// wait are served in the order they came (`ReadySignal`): while any waits, only the first
    /// in line claims.
    private func claimAndAssign(_ order: Order) async throws -> StartResult {
        var attempts: [AgentError] = []
        var waited = false
        var settled = 0
        let deadline = order.arrived + settings.coldStartTimeout
        let line = launcher.readySignal
        var ticket: ReadySignal.Ticket?
        defer { if let ticket { line.leave(ticket) } }
        while true {
            let token = Self.newToken()
            let intent = ClaimIntent(
                bucket: order.bucket, region: order.region, userId: order.request.userId, activityTokenHash: Self.hash(token),
                activityTracked: settings.publicAPIURL != nil, servedWarm: !waited, epoch: epoch,
                workspacePrefix: order.request.workspacePrefix?.nilIfEmpty, credentialsExpireAt: order.credentials?.expiration
            )
            var candidate: ContainerRecord?
            do {
                if line.mayClaim(ticket) {
                    candidate = try await store.claim(intent, freshSince: PoolMaintainer.staleCutoff(ttl: settings.warmTTL))
                }
            } catch is BucketHeld {
                settled += 1
                guard settled <= 3 else { throw APIError.bucketInUse("the containers holding this bucket keep changing; retry") }
                if let held = try await settleHolders(of: order) { return held }
                continue
            }
            if let claimed = candidate {
                pool.claimed()
                // The next in line goes on while the agent is called; a refusal puts us back in our place.
                if let ticket { line.leave(ticket) }
                switch try await assign(claimed, order, token: token) {
                case .success(let running):
                    var result = StartResult(record: running, isPreWarmed: running.servedPreWarmed, isReused: false)
                    result.routePending = await launcher.routePending(running)
                    return result
                case .failure(let error):
                    attempts.append(error)
                    guard attempts.count < settings.claimMaxAttempts else {
                        throw APIError.startFailed("No container accepted the assignment in \(attempts.count) attempts (last: \(error.kind.rawValue))")
                    }
                    if let ticket { line.rejoin(ticket) }
                    continue
                }
            }
            waited = true
            let place = ticket ?? line.enter()
            ticket = place
            try await waitForReady(place, until: deadline)
        }
    }

    /// Waits in line for the next container to become ready, asking for a cold start meanwhile.
    private func waitForReady(_ ticket: ReadySignal.Ticket, until deadline: ContinuousClock.Instant) async throws {
        let since = ContinuousClock.now
        guard since < deadline else {
            throw APIError.startFailed("No container became ready within COLD_START_TIMEOUT (\(settings.coldStartTimeout))")
        }
        try await coldStarts.whileWaiting {
            try await coldStarts.ensureLaunches()
            await launcher.readySignal.wait(ticket, upTo: min(deadline - since, .seconds(1)))
        }
        let failures = await coldStarts.failures(since: since)
        if let engineDown = failures.lazy.compactMap({ $0 as? DockerError }).first(where: { $0.code == .engineUnreachable }) {
            throw engineDown
        }
        if let failure = failures.last {
            throw APIError.startFailed("A cold start failed; retry", internalDetail: "\(failure)")
        }
    }

    /// Sends the assignment. On success the container is `running`. A request that never
    /// reached the agent puts the container back as suspect; any other failure fails it and
    /// removes its service in the background. Every step applies only while this claim still
    /// owns the container. A store failure ends the request: the committed intent stays, and
    /// recovery (or the next request for the bucket) resolves it with the agent.
    private func assign(_ record: ContainerRecord, _ order: Order, token: String) async throws -> Result<ContainerRecord, AgentError> {
        let ours: @Sendable (ContainerRecord) -> Bool = { [epoch] in $0.ownerEpoch == epoch.id }
        guard let address = record.taskAddress else {
            await launcher.fail(record.id, expected: [.assigning], serviceId: record.serviceId, reason: "claimed without a task address", when: ours)
            return .failure(AgentError(.refused, "the container has no task address"))
        }
        let assignment = AgentAssignment(
            bucket: order.bucket, region: order.region, accessKeyId: order.credentials?.accessKeyId, secretAccessKey: order.credentials?.secretAccessKey,
            sessionToken: order.credentials?.sessionToken,
            containerId: record.id, vncPassword: order.request.vncPassword, userId: order.request.userId,
            activityToken: token, activityUrl: settings.publicAPIURL.map { "\($0)/api/containers/\(record.id)/activity" },
            s3Endpoint: settings.workspace.s3Endpoint, workspacePrefix: record.workspacePrefix, credentialsExpireAt: record.credentialsExpireAt.map(Timestamp.string)
        )
        do {
            try await agent.assign(address: address, port: record.agentPort, assignment: assignment)
        } catch {
            logger.warning("Assignment failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
            switch error.kind {
            case .unreachable:
                try await store.release(record.id, epoch: epoch, reason: FailureReason.of(error))
            case .alreadyAssigned:
                await launcher.fail(record.id, expected: [.assigning], serviceId: record.serviceId, reason: FailureReason.of(error), when: ours)
            case .refused, .noAnswer:
                await launcher.fail(record.id, expected: [.assigning], serviceId: record.serviceId, reason: FailureReason.of(error), when: ours)
            }
            return .failure(error)
        }
        // From the request's arrival, to a hundredth of a millisecond (warm claims take a few).
        let (seconds, attoseconds) = (ContinuousClock.now - order.arrived).components
        let millis = ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 100).rounded() / 100
        let running = try await store.transition(record.id, from: [.assigning], to: .running, kind: "assigned", reason: "bucket \(order.bucket)", when: .matching(ours)) {
            $0.claimMillis = millis
        }
        guard let running else { return .failure(AgentError(.noAnswer, "the container left assigning while its agent was called")) }
        launcher.labelAssignmentInBackground(running)
        logger.info("Container assigned", metadata: ["container.id": "\(record.id)", "prewarmed": "\(running.servedPreWarmed)", "claim.ms": "\(millis)"])
        return .success(running)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
