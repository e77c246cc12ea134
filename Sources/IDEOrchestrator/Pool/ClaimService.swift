import Crypto
import Foundation
import Logging

/// The request path of `POST /api/containers/start`: validate, check the bucket, reuse or
/// claim a warm container (cold-starting one when none is ready), and assign it.
public struct ClaimService: Sendable {
    let store: AppDatabase
    let launcher: ContainerLauncher
    let agent: any AgentClient
    let resources: any ResourceGate
    let bucketChecker: (any BucketChecker)?
    let pool: PoolMaintainer
    let settings: Settings
    let logger: Logger
    private let bucketLocks = KeyedLock()

    /// Creates the service.
    public init(store: AppDatabase, launcher: ContainerLauncher, agent: any AgentClient, resources: any ResourceGate, bucketChecker: (any BucketChecker)?, pool: PoolMaintainer, settings: Settings, logger: Logger) {
        self.store = store
        self.launcher = launcher
        self.agent = agent
        self.resources = resources
        self.bucketChecker = bucketChecker
        self.pool = pool
        self.settings = settings
        self.logger = logger
    }

    /// Hands out a container for the request's bucket.
    public func start(_ request: StartRequest) async throws(APIError) -> StartResult {
        let bucket = try Self.validatedBucket(request.s3Bucket)
        let region = try Self.validatedRegion(request.s3Region) ?? settings.aws.region
        try Self.validateOptional(request)
        let credentials = try await AssignmentCredentials(settings: settings, logger: logger).resolve(Self.credentials(request), bucket: bucket)
        if let bucketChecker {
            try await bucketChecker.check(bucket: bucket, region: region, credentials: credentials)
        }
        do {
            return try await bucketLocks.withLock(bucket) {
                if let existing = try await store.activeAssignment(bucket: bucket, userId: request.userId) {
                    return StartResult(record: existing, isPreWarmed: existing.isPreWarmed, isReused: true)
                }
                return try await claimAndAssign(request, bucket: bucket, region: region, credentials: credentials)
            }
        } catch let error as APIError {
            throw error
        } catch let error as DockerError where error.code == .engineUnreachable {
            throw .engineUnavailable("The Docker engine cannot be reached")
        } catch {
            logger.error("Start failed", metadata: ["error": "\(error)"])
            throw .startFailed("The container could not be started: \(error)")
        }
    }

    private func claimAndAssign(_ request: StartRequest, bucket: String, region: String, credentials: S3Credentials?) async throws -> StartResult {
        let started = ContinuousClock.now
        while let claimed = try await store.claimReady(freshSince: PoolMaintainer.staleCutoff(ttl: settings.warmTTL)) {
            pool.wakeUp()
            if let running = try await assign(claimed, request, bucket: bucket, region: region, credentials: credentials, started: started) {
                return StartResult(record: running, isPreWarmed: true, isReused: false)
            }
        }
        let snapshot = await resources.snapshot()
        guard snapshot.spawnAllowed else { throw APIError.resourceLimit(snapshot.reason ?? "resource limit reached") }
        let record = try await launcher.newRecord(pooled: false)
        let warm = try await launcher.start(record)
        guard let assigning = try await store.transition(warm.id, from: [.warming], to: .assigning, kind: "claimed", reason: "cold start") else {
            throw APIError.startFailed("The cold-started container changed state before it could be assigned")
        }
        if let running = try await assign(assigning, request, bucket: bucket, region: region, credentials: credentials, started: started) {
            return StartResult(record: running, isPreWarmed: false, isReused: false)
        }
        throw APIError.startFailed("The cold-started container's agent refused the assignment")
    }

    /// Sends the assignment; on success the container is `running`, on refusal it is failed
    /// and removed, and nil tells the caller to try the next one.
    private func assign(_ record: ContainerRecord, _ request: StartRequest, bucket: String, region: String, credentials: S3Credentials?, started: ContinuousClock.Instant) async throws -> ContainerRecord? {
        guard let address = record.taskAddress else {
            await launcher.discard(record.id, serviceId: record.serviceId, reason: "claimed without a task address")
            return nil
        }
        let token = Self.newToken()
        let assignment = AgentAssignment(
            bucket: bucket, region: region, accessKeyId: credentials?.accessKeyId, secretAccessKey: credentials?.secretAccessKey, sessionToken: credentials?.sessionToken,
            containerId: record.id, vncPassword: request.vncPassword, userId: request.userId,
            activityToken: token, activityUrl: settings.publicAPIURL.map { "\($0)/api/containers/\(record.id)/activity" }
        )
        do {
            _ = try await agent.assign(address: address, assignment: assignment)
        } catch {
            logger.warning("Assignment refused", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
            await launcher.discard(record.id, serviceId: record.serviceId, reason: "assignment failed: \(error)")
            return nil
        }
        let millis = Double((ContinuousClock.now - started).milliseconds)
        let now = Date()
        let tokenHash = Self.hash(token)
        let userId = request.userId
        guard let running = try await store.transition(record.id, from: [.assigning], to: .running, kind: "assigned", reason: "bucket \(bucket)", at: now, change: {
            $0.s3Bucket = bucket
            $0.s3Region = region
            $0.userId = userId
            $0.assignedAt = now
            $0.lastActivityAt = now
            $0.claimMillis = millis
            $0.activityTokenHash = tokenHash
        }) else { return nil }
        logger.info("Container assigned", metadata: ["container.id": "\(record.id)", "prewarmed": "\(record.isPreWarmed)", "claim.ms": "\(millis)"])
        return running
    }

    // MARK: - Validation

    static func validatedBucket(_ bucket: String?) throws(APIError) -> String {
        guard let bucket, !bucket.isEmpty else { throw .invalidBucket("s3Bucket is required") }
        if let problem = BucketName.problem(with: bucket) {
            throw .invalidBucket("s3Bucket '\(bucket.prefix(80))' is not a valid S3 bucket name: it \(problem)")
        }
        return bucket
    }

    static func validatedRegion(_ region: String?) throws(APIError) -> String? {
        guard let region, !region.isEmpty else { return nil }
        guard region.count <= 32, region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidBody("s3Region must look like us-east-1 (lowercase letters, digits and hyphens)")
        }
        return region
    }

    static func validateOptional(_ request: StartRequest) throws(APIError) {
        if let userId = request.userId, userId.count > 256 || userId.contains(where: \.isNewline) {
            throw .invalidBody("userId must be at most 256 characters on one line")
        }
        if let password = request.vncPassword, password.count > 256 {
            throw .invalidBody("vncPassword must be at most 256 characters")
        }
    }

    static func credentials(_ request: StartRequest) throws(APIError) -> S3Credentials? {
        switch (request.awsAccessKeyId?.nilIfEmpty, request.awsSecretAccessKey?.nilIfEmpty) {
        case (nil, nil): return nil
        case (let id?, let secret?): return S3Credentials(accessKeyId: id, secretAccessKey: secret)
        default: throw .invalidBody("awsAccessKeyId and awsSecretAccessKey must be given together")
        }
    }

    /// A fresh 256-bit token, hex encoded.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", generator.next()) }.joined()
    }

    /// The SHA-256 hex digest stored in place of a token.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
