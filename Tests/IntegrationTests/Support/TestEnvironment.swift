import Foundation
import Testing
@testable import IDEOrchestrator

/// The private local Swarm the integration tests run against (see scripts/test.sh).
enum TestEnvironment {
    /// `IDE_TEST_DOCKER_HOST`, set by scripts/test.sh from scripts/local-swarm.sh.
    static let dockerHost = ProcessInfo.processInfo.environment["IDE_TEST_DOCKER_HOST"]
    /// The dev IDE image imported into that engine.
    static let image = ProcessInfo.processInfo.environment["IDE_TEST_IMAGE"] ?? "ide-orchestrator/dev-ide:latest"
    /// The host-reachable IDE network.
    static let network = ProcessInfo.processInfo.environment["IDE_TEST_NETWORK"] ?? "ide-network"
    /// When set, a missing engine fails the run instead of skipping the integration tests.
    static let engineRequired = ProcessInfo.processInfo.environment["IDE_TEST_REQUIRE_ENGINE"] == "1"

    /// Whether integration tests run: an engine is configured, or it is required (and they fail loudly).
    static var enabled: Bool { dockerHost != nil || engineRequired }

    /// The engine's endpoint; records an issue when the suite is required but no engine is set.
    static func endpoint() throws -> HTTPEndpoint {
        guard let host = dockerHost, let endpoint = DockerEndpoint.parse(host) else {
            Issue.record("IDE_TEST_DOCKER_HOST is not set; run the tests through scripts/test.sh")
            throw TestSetupError()
        }
        return endpoint
    }

    /// A client for the private engine.
    static func engine() throws -> CurlDockerEngine {
        CurlDockerEngine(endpoint: try endpoint())
    }

    /// A fresh name no other test uses.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

struct TestSetupError: Error {}

/// Polls `condition` until it yields a value or the deadline passes.
func eventually<T>(
    within timeout: Duration = .seconds(60),
    every interval: Duration = .milliseconds(200),
    _ what: String,
    _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            if let value = try await condition() { return value }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: interval)
    }
    throw TimeoutError(what: what, lastError: lastError.map { "\($0)" })
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var lastError: String?
    var description: String { "timed out waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? "") }
}

/// Runs `body`, failing with `TimeoutError` if it has not finished by the deadline.
func withDeadline<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
