import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// What a start request without credentials hands the agent, through the real router.
@Suite struct StartCredentialsTests {
    @Test func aRequestWithoutCredentialsGivesTheAgentAndTheCheckTheServicesOwn() async throws {
        let harness = try APIRouterTests.Harness([
            "AWS_ACCESS_KEY_ID": "AKIASERVICE", "AWS_SECRET_ACCESS_KEY": "service-TOPSECRET", "AWS_SESSION_TOKEN": "token-TOPSECRET",
            "AWS_REGION": "eu-north-1",
        ])
        try await harness.insertReadyPoolContainer()
        let body = try await harness.test { client in
            let response = try await client.execute(uri: "/api/containers/start", method: .post, headers: APIRouterTests.keyOne,
                                                    body: APIRouterTests.body(["s3Bucket": "test-bucket"]))
            #expect(response.status == .created)
            return APIRouterTests.text(response)
        }
        let assignment = try #require(harness.agent.assignments.first?.assignment)
        #expect(assignment.accessKeyId == "AKIASERVICE")
        #expect(assignment.secretAccessKey == "service-TOPSECRET")
        #expect(assignment.sessionToken == "token-TOPSECRET")
        #expect(assignment.region == "eu-north-1", "AWS_REGION is the default region")
        #expect(harness.checker.credentials.first??.accessKeyId == "AKIASERVICE")
        #expect(!body.contains("TOPSECRET"))
        let records = try await harness.store.containers(status: nil, limit: 100, offset: 0).records
        var stored = ""
        for record in records {
            dump(record, to: &stored)
            dump(try await harness.store.events(of: record.id), to: &stored)
        }
        #expect(!records.isEmpty && !stored.contains("TOPSECRET"))
    }
}
