import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

@Suite struct StatusPageTests {
    static let publicDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Public").path

    @Test func rootServesTheStatusPageWithoutAKey() async throws {
        let harness = try APIRouterTests.Harness(["PUBLIC_DIR": Self.publicDirectory])
        try await harness.test { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("/api/health"))
            let script = try await client.execute(uri: "/status.js", method: .get)
            #expect(script.status == .ok)
        }
    }

    @Test func unknownPathsStillAnswerTheErrorShape() async throws {
        let harness = try APIRouterTests.Harness(["PUBLIC_DIR": Self.publicDirectory])
        try await harness.test { client in
            let missing = try await client.execute(uri: "/nothing-here.js", method: .get)
            #expect(missing.status == .notFound)
            #expect(String(buffer: missing.body).contains("\"NOT_FOUND\""))
        }
    }
}
