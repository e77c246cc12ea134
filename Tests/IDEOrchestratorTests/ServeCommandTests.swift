import Foundation
import Testing

/// Runs the real `ide-orchestrator` binary the way an operator would.
@Suite struct ServeCommandTests {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["IDE_ORCHESTRATOR_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/ide-orchestrator")
    }

    func serve(environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve"]
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func badPortExitsNonZeroNamingPort() throws {
        let result = try serve(environment: ["API_KEY": "secret-key", "PORT": "not-a-port"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("PORT"))
        #expect(result.stderr.contains("integer from 1 to 65535"))
        #expect(!result.stderr.contains("secret-key"))
    }

    @Test func missingKeyExitsNonZeroNamingAPIKey() throws {
        let result = try serve(environment: ["PORT": "3999"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("API_KEY"))
    }
}
