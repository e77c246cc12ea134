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

    func serve(environment: [String: String], envFile: String? = nil, command: String = "serve") throws -> (status: Int32, stderr: String, stdout: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        if let envFile { try envFile.write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8) }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [command]
        process.currentDirectoryURL = directory
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        let stderr = Pipe(), stdout = Pipe()
        process.standardError = stderr
        process.standardOutput = stdout
        try process.run()
        let output = stderr.fileHandleForReading.readDataToEndOfFile()
        let printed = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: printed, as: UTF8.self))
    }

    @Test func badPortExitsNonZeroNamingPort() throws {
        let result = try serve(environment: ["API_KEY": "secret-key", "PORT": "not-a-port"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("PORT"))
        #expect(result.stderr.contains("integer from 1 to 65535"))
        #expect(!result.stderr.contains("secret-key"))
    }

    @Test func aMalformedEnvFileLineStopsWithItsNumberAndNoSecret() throws {
        let result = try serve(environment: ["PORT": "3999"], envFile: "# settings\nAPI_KEY=k\nAWS_SECRET_ACCESS_KEY=\"never-shown-secret\n")
        #expect(result.status == 78)
        #expect(result.stderr.contains(".env line 3 (AWS_SECRET_ACCESS_KEY)"), "\(result.stderr)")
        #expect(!result.stderr.contains("never-shown-secret"))
    }

    @Test func conflictingNamesStopTheServiceNamingBoth() throws {
        let inFile = try serve(environment: [:], envFile: "API_KEY=k\nRESOURCE_MEMORY_LIMIT=1GB\nCONTAINER_MEMORY_LIMIT=2GB\n")
        #expect(inFile.status == 78)
        #expect(inFile.stderr.contains("CONTAINER_MEMORY_LIMIT") && inFile.stderr.contains("RESOURCE_MEMORY_LIMIT"), "\(inFile.stderr)")
        let inEnvironment = try serve(environment: ["API_KEY": "k", "RESOURCE_CPU_LIMIT": "1", "CONTAINER_CPU_LIMIT": "2"])
        #expect(inEnvironment.status == 78)
        #expect(inEnvironment.stderr.contains("CONTAINER_CPU_LIMIT") && inEnvironment.stderr.contains("RESOURCE_CPU_LIMIT"), "\(inEnvironment.stderr)")
    }

    @Test func dotenvPrintsTheFilesSettingsTheEnvironmentLeavesOpen() throws {
        let result = try serve(environment: ["PORT": "4000"], envFile: "PORT=3999\nRESOURCE_CPU_LIMIT=0.5\nAPI_KEY='a b'\n", command: "dotenv")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "export API_KEY='a b'\nexport RESOURCE_CPU_LIMIT='0.5'\n")
        let malformed = try serve(environment: [:], envFile: "oops\n", command: "dotenv")
        #expect(malformed.status == 78)
        #expect(malformed.stderr.contains(".env line 1"))
    }

    @Test func missingKeyExitsNonZeroNamingAPIKey() throws {
        let result = try serve(environment: ["PORT": "3999"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("API_KEY"))
    }
}
