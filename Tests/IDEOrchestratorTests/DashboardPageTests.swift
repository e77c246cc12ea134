import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// The dashboard's static files: where they are served, with which headers, and that every
/// data route it reads needs the key.
@Suite struct DashboardPageTests {
    static let publicDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Public").path

    static func harness() throws -> APIRouterTests.Harness {
        try APIRouterTests.Harness(["PUBLIC_DIR": publicDirectory])
    }

    @Test func rootRedirectsToTheDashboard() async throws {
        try await Self.harness().test { client in
            let root = try await client.execute(uri: "/", method: .get)
            #expect(root.status == .found)
            #expect(root.headers[.location] == "/dashboard/")
            let bare = try await client.execute(uri: "/dashboard", method: .get)
            #expect(bare.status == .movedPermanently)
            #expect(bare.headers[.location] == "/dashboard/")
        }
    }

    @Test func dashboardIsServedWithAStrictPolicyNosniffAndRevalidation() async throws {
        try await Self.harness().test { client in
            let page = try await client.execute(uri: "/dashboard/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.cacheControl] == "no-cache")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            let script = try await client.execute(uri: "/dashboard/js/app.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType]?.contains("javascript") == true)
            let api = try await client.execute(uri: "/api/queue", method: .get, headers: APIRouterTests.keyOne)
            #expect(api.headers[.cacheControl] == "no-store")
        }
    }

    @Test func pagesCarryNoInlineScriptStyleOrHandlers() throws {
        let directory = URL(fileURLWithPath: Self.publicDirectory)
        let files = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)).compactMap { $0 as? URL }
        let pages = files.filter { $0.pathExtension == "html" }
        #expect(!pages.isEmpty)
        for page in pages {
            let html = try String(contentsOf: page, encoding: .utf8)
            let scripts = html.components(separatedBy: "<script").dropFirst()
            #expect(scripts.allSatisfy { $0.prefix(while: { $0 != ">" }).contains("src=") }, "inline script in \(page.lastPathComponent)")
            #expect(!html.contains("<style"), "inline style in \(page.lastPathComponent)")
            #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "inline handler in \(page.lastPathComponent)")
            #expect(html.range(of: #"\sstyle\s*="#, options: .regularExpression) == nil, "style attribute in \(page.lastPathComponent)")
            #expect(!html.contains("http://") && !html.contains("https://"), "another origin in \(page.lastPathComponent)")
        }
        let scripts = files.filter { $0.pathExtension == "js" }
        for script in scripts {
            let text = try String(contentsOf: script, encoding: .utf8)
            #expect(!text.contains("innerHTML") && !text.contains("eval("), "\(script.lastPathComponent) parses strings as code or HTML")
        }
    }

    @Test(arguments: [
        ("GET", "/api/queue"), ("GET", "/api/nodes"), ("GET", "/api/containers"), ("GET", "/api/containers/abc"),
        ("DELETE", "/api/containers/abc"), ("DELETE", "/api/containers/abc/record"), ("GET", "/api/events"), ("GET", "/api/events/recent"),
    ])
    func everyDashboardDataRouteNeedsTheKey(method: String, path: String) async throws {
        try await Self.harness().test { client in
            let bare = try await client.execute(uri: path, method: .init(rawValue: method)!)
            try APIRouterTests.expectError(bare, .unauthorized, code: "AUTHENTICATION_FAILED")
            let wrong = try await client.execute(uri: path, method: .init(rawValue: method)!, headers: [.authorization: "Bearer nope"])
            try APIRouterTests.expectError(wrong, .unauthorized, code: "AUTHENTICATION_FAILED")
        }
    }
}
