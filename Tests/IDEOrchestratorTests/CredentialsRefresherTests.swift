import Foundation
import ServiceLifecycle
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Temporary STS credentials of running containers are replaced before they expire, pushed to
/// the agent, and only their expiry is stored.
@Suite struct CredentialsRefresherTests {
    struct Lab {
        let flush = try! WorkspaceFlushTests.Lab()
        let sts: FakeSTS
        let lifetime: Duration

        init(lifetime: Duration, sts: FakeSTS = FakeSTS()) {
            self.sts = sts
            self.lifetime = lifetime
        }

        var store: AppDatabase { flush.store }
        var agent: FakeAgent { flush.agent }

        func refresher(now: @escaping @Sendable () -> Date = { Date() }) throws -> CredentialsRefresher<ContinuousClock> {
            var aws = try testSettings(AssignmentCredentialsTests.service.merging(["AWS_ASSIGNMENT_ROLE_ARN": AssignmentCredentialsTests.role]) { a, _ in a }).aws
            aws.assignmentDuration = lifetime
            return CredentialsRefresher(
                store: store, agent: agent, credentials: AssignmentCredentials(aws: aws, sts: sts), lifetime: lifetime, clock: ContinuousClock(), now: now,
                logger: quietLogger()
            )
        }

        /// A running container holding STS credentials that expire at `expiry`.
        func running(expiringAt expiry: Date) async throws -> ContainerRecord {
            let record = try await flush.running()
            return try #require(try await store.update(record.id, in: [.running]) { $0.credentialsExpireAt = expiry })
        }
    }

    @Test func credentialsWithMoreThanAThirdLeftAreLeftAlone() async throws {
        let lab = Lab(lifetime: .seconds(900))
        _ = try await lab.running(expiringAt: Date().addingTimeInterval(600))
        try await lab.refresher().refreshDue()
        #expect(lab.sts.requests.isEmpty && lab.agent.credentialUpdates.isEmpty)
    }

    @Test func credentialsNearTheirExpiryAreReplacedPushedAndOnlyTheExpiryStored() async throws {
        let lab = Lab(lifetime: .seconds(900))
        let record = try await lab.running(expiringAt: Date().addingTimeInterval(200))
        try await lab.refresher().refreshDue()
        let request = try #require(lab.sts.requests.first)
        #expect(request.sessionName == "ide-bucket-one")
        #expect(try PolicyDocument(request.policy).resources == ["arn:aws:s3:::bucket-one", "arn:aws:s3:::bucket-one/*"])
        let update = try #require(lab.agent.credentialUpdates.first)
        #expect(update.containerId == record.id && update.address == record.taskAddress)
        #expect(update.credentials.accessKeyId == "ASIATEMP1" && update.credentials.sessionToken == "token-1")
        let stored = try #require(try await lab.store.container(record.id))
        let expiry = try #require(stored.credentialsExpireAt)
        #expect(expiry.timeIntervalSinceNow > 800)
        let pushedExpiry = try #require(RFC3339.date(update.credentials.expiration))
        #expect(abs(pushedExpiry.timeIntervalSince(expiry)) < 0.01, "the agent is told the expiry that is stored")
        let events = try await lab.store.events(of: record.id)
        #expect(events.first?.kind == "credentials_refreshed")
        #expect(!events.contains { ($0.reason ?? "").contains("temp-secret") || ($0.reason ?? "").contains("token-1") })
        #expect(!(stored.storedValues.map { "\($0)" }.joined().contains("temp-secret")))
    }

    @Test func aFailedRefreshIsRecordedAndRetriedAfterAPause() async throws {
        let lab = Lab(lifetime: .seconds(900))
        let record = try await lab.running(expiringAt: Date().addingTimeInterval(60))
        lab.agent.setRefusesCredentials(true, at: try #require(record.taskAddress))
        let clock = Clock()
        let refresher = try lab.refresher(now: { clock.now })
        await refresher.refreshDue()
        #expect(try await lab.store.events(of: record.id).first?.kind == "credentials_refresh_failed")
        #expect(try await lab.store.events(of: record.id).first?.reason?.hasPrefix("agent_refused: ") == true)
        await refresher.refreshDue()
        #expect(lab.agent.credentialUpdates.count == 1, "the next try waits for its pause")
        lab.agent.setRefusesCredentials(false, at: try #require(record.taskAddress))
        clock.advance(by: 2)
        await refresher.refreshDue()
        #expect(lab.agent.credentialUpdates.count == 2)
        #expect(try await lab.store.events(of: record.id).first?.kind == "credentials_refreshed")
    }

    @Test func aRefusingSTSIsRecordedWithoutItsMessage() async throws {
        let lab = Lab(lifetime: .seconds(900), sts: FakeSTS(failure: STSError(code: "AccessDenied", message: "User arn:aws:iam::1:user/x is not authorized")))
        let record = try await lab.running(expiringAt: Date().addingTimeInterval(60))
        try await lab.refresher().refreshDue()
        let reason = try #require(try await lab.store.events(of: record.id).first { $0.kind == "credentials_refresh_failed" }?.reason)
        #expect(reason.hasPrefix("sts_failed: "))
        #expect(!reason.contains("arn:"))
        #expect(lab.agent.credentialUpdates.isEmpty)
    }

    /// The running service with a six-second lifetime: credentials issued at the claim are
    /// replaced before they expire, again and again.
    @Test func anExpiringCredentialIsReplacedBeforeItExpires() async throws {
        let lab = Lab(lifetime: .seconds(6))
        let refresher = try lab.refresher()
        #expect(refresher.checkInterval == .seconds(1))
        #expect(refresher.refreshWindow == .seconds(2))
        let claimed = try await lab.flush.running()
        let firstExpiry = Date().addingTimeInterval(6)
        let record = try #require(try await lab.store.update(claimed.id, in: [.running]) { $0.credentialsExpireAt = firstExpiry })
        let group = ServiceGroup(configuration: .init(services: [refresher], logger: quietLogger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while lab.agent.credentialUpdates.count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let updates = lab.agent.credentialUpdates
        #expect(updates.count >= 2, "refreshed again once the new credentials neared their own expiry")
        let firstPush = try #require(updates.first.flatMap { RFC3339.date($0.credentials.expiration) })
        #expect(firstPush > firstExpiry, "the new credentials outlive the old ones")
        let refreshedAt = try #require(try await lab.store.events(of: record.id, limit: 100).last { $0.kind == "credentials_refreshed" }?.at)
        #expect(refreshedAt < firstExpiry, "replaced before the old credentials expired")
    }

    /// A clock a test moves by hand.
    final class Clock: Sendable {
        private let current = Mutex(Date())
        var now: Date { current.withLock { $0 } }
        func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }
}
