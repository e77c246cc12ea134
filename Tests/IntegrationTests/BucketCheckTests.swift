import Foundation
import Testing
@testable import IDEOrchestrator

@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct BucketCheckTests {
    @Test func bucketsAreCheckedAgainstSignatureVerifyingS3() async throws {
        try await MotoS3.run(buckets: ["existing-bucket"]) { moto in
            try await ServiceProcess.run(moto.settings().merging(["PRE_WARMED_QUEUE_SIZE": "1"]) { _, new in new }) { service in
                try await service.waitForReady(1)

                let missing = try await service.start(bucket: "missing-bucket")
                #expect(missing.status == 400, "\(missing.text)")
                #expect((missing.json["error"] as? [String: String])?["code"] == "S3_BUCKET_NOT_FOUND")

                let wrongSecret = try await service.start(bucket: "existing-bucket", extra: #","awsAccessKeyId":"\#(moto.accessKeyId)","awsSecretAccessKey":"not-the-secret""#)
                #expect(wrongSecret.status == 400, "\(wrongSecret.text)")
                let error = try #require(wrongSecret.json["error"] as? [String: String])
                #expect(error["code"] == "S3_ACCESS_DENIED")
                #expect(error["message"]?.contains("secret access key does not match") == true)
                #expect(!wrongSecret.text.contains("not-the-secret"))
                #expect(try await service.pool()["assigned"] == 0)

                let existing = try await service.start(bucket: "existing-bucket")
                #expect(existing.status == 201, "\(existing.text)")
                #expect(existing.json["isPreWarmed"] as? Bool == true)
            }
        }
    }

    @Test func aWrongConfiguredSecretGivesAClearError() async throws {
        try await MotoS3.run(buckets: ["existing-bucket"]) { moto in
            try await ServiceProcess.run(moto.settings(secret: "wrong-configured-secret").merging(["PRE_WARMED_QUEUE_SIZE": "0"]) { _, new in new }) { service in
                let reply = try await service.start(bucket: "existing-bucket")
                #expect(reply.status == 400, "\(reply.text)")
                #expect((reply.json["error"] as? [String: String])?["code"] == "S3_ACCESS_DENIED")
                #expect(!service.logTail().contains("wrong-configured-secret"))
            }
        }
    }
}
