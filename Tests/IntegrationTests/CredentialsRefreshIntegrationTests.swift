import Foundation
import Logging
import Testing
@testable import IDEOrchestrator

/// Temporary credentials from moto's SigV4-checking STS: the assignment says when they expire,
/// and a refresh issues new ones for the same bucket and pushes them to the real dev agent.
@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct CredentialsRefreshIntegrationTests {
    /// An RFC 3339 date out of a decoded JSON value.
    static func date(_ value: Any?) -> Date? {
        (value as? String).flatMap { RFC3339.date($0) }
    }

    @Test func stsCredentialsNearTheirExpiryAreReplacedAndPushedToTheAgent() async throws {
        try await MotoS3.run(buckets: ["refresh-bucket"]) { moto in
            let environment = moto.settings().merging([
                "PRE_WARMED_QUEUE_SIZE": "1", "AWS_ASSIGNMENT_ROLE_ARN": moto.roleArn,
                "AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_ASSIGNMENT_DURATION": "15m",
            ]) { _, new in new }
            try await ServiceProcess.run(environment) { service in
                try await service.waitForReady(1)
                let started = try await service.start(bucket: "refresh-bucket")
                #expect(started.status == 201, "\(started.text)")
                let id = try #require(started.json["id"] as? String)
                let detail = try await service.call("GET", "/api/containers/\(id)")
                let address = try #require(detail.json["taskAddress"] as? String)
                let expiry = try #require(Self.date((detail.json["workspace"] as? [String: Any])?["credentialsExpireAt"]))
                #expect(expiry.timeIntervalSinceNow > 800 && expiry.timeIntervalSinceNow <= 901, "AWS_ASSIGNMENT_DURATION from now")
                let request = try #require(try await agentAssignment(address: address, token: service.agentToken(for: id))["request"] as? [String: Any])
                #expect(request["s3Endpoint"] as? String == moto.endpoint, "S3_ENDPOINT, as WORKSPACE_S3_ENDPOINT is empty")
                #expect(Self.date(request["credentialsExpireAt"]) != nil)
                let firstKey = try #require(request["accessKeyId"] as? String)

                // The refresher of the service, over the service's own store, with the credentials
                // about to expire: it asks moto's STS again and pushes the result to the agent.
                let store = try AppDatabase.open(path: service.directory.appendingPathComponent("containers.db").path)
                let soon = Date().addingTimeInterval(20)
                _ = try await store.update(id, in: [.running]) { $0.credentialsExpireAt = soon }
                let aws = try Settings(environment: ["API_KEY": "k"].merging(environment) { _, new in new }).aws
                let refresher = CredentialsRefresher(
                    store: store, agent: service.agentClient(), credentials: AssignmentCredentials(aws: aws, sts: CurlSTSClient(endpoint: moto.endpoint, region: moto.region, credentials: try #require(aws.credentials))),
                    lifetime: aws.assignmentDuration, clock: ContinuousClock(), logger: Logger(label: "refresh-test")
                )
                await refresher.refreshDue()

                let readback = try await WorkspaceContractIntegrationTests.workspaceReadback(address: address, token: service.agentToken(for: id))
                let pushed = try #require(readback["credentials"] as? [String: Any], "\(readback)")
                let newKey = try #require(pushed["accessKeyId"] as? String)
                #expect(newKey.hasPrefix("ASIA") && newKey != firstKey)
                let sessions = try await moto.assumedRoles()
                #expect(sessions.count == 2)
                #expect(sessions.contains { $0["access_key_id"] as? String == newKey && $0["session_name"] as? String == "ide-refresh-bucket" })
                let newExpiry = try #require(Self.date(pushed["expiration"]))
                #expect(newExpiry > soon.addingTimeInterval(600), "the new credentials outlive the old ones")

                let after = try await service.call("GET", "/api/containers/\(id)")
                let stored = try #require(Self.date((after.json["workspace"] as? [String: Any])?["credentialsExpireAt"]))
                #expect(abs(stored.timeIntervalSince(newExpiry)) < 1)
                let kinds = (after.json["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
                #expect(kinds.contains("credentials_refreshed"), "\(kinds)")
                let secret = try #require(pushed["secretAccessKey"] as? String)
                #expect(!after.text.contains(secret) && !service.databaseBytes().contains(secret), "only the expiry is stored")
            }
        }
    }
}
