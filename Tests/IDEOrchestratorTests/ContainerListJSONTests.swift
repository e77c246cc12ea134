import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct ContainerListJSONTests {
    /// The hand-written page is byte for byte what the API's JSONEncoder writes.
    @Test func writesExactlyWhatJSONEncoderWrites() throws {
        let urls = RoutePlan(settings: try testSettings()).urls(for: "abcdefghijklmnop")
        var bare = ContainerRecord(id: "abcdefghijklmnop", isPreWarmed: true, cpuLimit: 2, memoryLimitBytes: 1 << 32, urls: urls, now: Date(timeIntervalSince1970: 1_795_000_000.123))
        var full = bare
        full.id = "qrstuvwxyz012345"
        full.isPreWarmed = false
        full.status = .stopped
        full.serviceId = "svc/1"
        full.s3Bucket = "bucket-one"
        full.s3Region = "us-east-1"
        full.userId = "user \"quoted\" \\ back/slash \n\t\r\u{08}\u{0C}\u{01}\u{1F} é 😀 \u{2028}"
        full.readyAt = Date(timeIntervalSince1970: 1_795_000_001.999)
        full.assignedAt = Date(timeIntervalSince1970: 1_795_000_002)
        full.stoppedAt = Date(timeIntervalSince1970: 1_795_000_003.5)
        full.lastActivityAt = Date(timeIntervalSince1970: 1_795_000_002.25)
        full.shutdownReason = .serviceRemoved
        full.healthStatus = "healthy"
        bare.status = .ready
        for records in [[], [bare], [bare, full, bare]] {
            let page = ContainerRoutes.ListResponse(containers: records.map(ContainerSummary.init), total: 123, limit: 50, offset: 7)
            let expected = try JSON.encoder().encode(page)
            #expect(String(decoding: ContainerListJSON.encode(page), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }
}
