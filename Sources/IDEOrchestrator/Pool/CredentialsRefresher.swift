import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the temporary STS credentials of running containers (AWS_ASSIGNMENT_ROLE_ARN) alive
/// for as long as their session lasts: once less than a third of AWS_ASSIGNMENT_DURATION is
/// left, new credentials for the same bucket are issued and pushed to the agent
/// (`POST /credentials`). Only the expiry is stored, never the credentials. A failed refresh is
/// recorded (`credentials_refresh_failed`) and tried again with a growing pause; a success is
/// recorded as `credentials_refreshed`.
public final class CredentialsRefresher<C: Clock>: Service, Sendable where C.Duration == Duration {
    let store: AppDatabase
    let agent: any AgentClient
    let credentials: AssignmentCredentials
    let lifetime: Duration
    let clock: C
    let now: @Sendable () -> Date
    let logger: Logger
    private let retries = Mutex([String: Retry]())

    private struct Retry {
        var failures: Int
        var notBefore: Date
    }

    /// Creates a refresher for credentials that live `lifetime` (AWS_ASSIGNMENT_DURATION).
    public init(
        store: AppDatabase, agent: any AgentClient, credentials: AssignmentCredentials, lifetime: Duration, clock: C,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = store
        self.agent = agent
        self.credentials = credentials
        self.lifetime = lifetime
        self.clock = clock
        self.now = now
        self.logger = logger
    }

    /// How often expiries are looked at: a sixth of the lifetime, at most 30 s.
    public var checkInterval: Duration { max(.milliseconds(100), min(lifetime / 6, .seconds(30))) }

    /// Credentials are renewed once less than this is left of them.
    public var refreshWindow: Duration { lifetime / 3 }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: checkInterval, clock: clock).cancelOnGracefulShutdown() {
            await refreshDue()
        }
    }

    /// Refreshes every running container whose credentials are within `refreshWindow` of expiring.
    public func refreshDue() async {
        let records: [ContainerRecord]
        do {
            records = try await store.containersWithExpiringCredentials()
        } catch {
            logger.warning("Reading credential expiries failed", metadata: ["error": "\(error)"])
            return
        }
        let current = now()
        let window = Double(refreshWindow.components.seconds) + Double(refreshWindow.components.attoseconds) / 1e18
        for record in records {
            guard let expiry = record.credentialsExpireAt, expiry.timeIntervalSince(current) < window else { continue }
            if let retry = retries.withLock({ $0[record.id] }), retry.notBefore > current { continue }
            await refresh(record)
        }
        let live = Set(records.map(\.id))
        retries.withLock { $0 = $0.filter { live.contains($0.key) } }
    }

    /// Issues new credentials for `record`'s bucket and hands them to its agent.
    func refresh(_ record: ContainerRecord) async {
        guard let bucket = record.s3Bucket, let address = record.taskAddress else { return }
        let failure: String
        do throws(APIError) {
            guard let issued = try await credentials.resolve(nil, bucket: bucket), let expiration = issued.expiration else {
                return await failed(record, "sts_unavailable: no temporary credentials are configured (AWS_ASSIGNMENT_ROLE_ARN)")
            }
            do throws(AgentError) {
                try await agent.updateCredentials(address: address, port: record.agentPort, containerId: record.id, credentials: AgentCredentials(issued, expiration: expiration))
                retries.withLock { $0[record.id] = nil }
                _ = try? await store.update(record.id, in: [.running], event: (kind: "credentials_refreshed", reason: "new temporary credentials expire at \(Timestamp.string(expiration))")) {
                    $0.credentialsExpireAt = expiration
                }
                logger.info("Credentials refreshed", metadata: ["container.id": "\(record.id)"])
                return
            } catch {
                switch error.kind {
                case .unreachable: failure = "agent_unreachable: the agent could not be reached"
                case .noAnswer: failure = "agent_no_answer: the agent gave no answer"
                case .refused, .alreadyAssigned: failure = "agent_refused: the agent refused the credentials\(error.status.map { " (HTTP \($0))" } ?? "")"
                }
            }
        } catch {
            failure = "sts_failed: new temporary credentials could not be obtained from STS"
        }
        await failed(record, failure)
    }

    private func failed(_ record: ContainerRecord, _ reason: String) async {
        let current = now()
        let failures = retries.withLock { retries in
            let failures = (retries[record.id]?.failures ?? 0) + 1
            // 1 s, 2 s, 4 s ... at most a tenth of the lifetime (and a minute), so a refresh
            // that keeps failing is still tried several times before the credentials expire.
            let cap = min(Double(lifetime.components.seconds) / 10, 60)
            retries[record.id] = Retry(failures: failures, notBefore: current.addingTimeInterval(min(pow(2, Double(failures - 1)), max(cap, 0.1))))
            return failures
        }
        logger.warning("Credentials refresh failed", metadata: ["container.id": "\(record.id)", "reason": "\(reason)", "failures": "\(failures)"])
        _ = try? await store.update(record.id, in: [.running], event: (kind: "credentials_refresh_failed", reason: reason)) { _ in }
    }
}
