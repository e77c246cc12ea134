import Foundation
import Testing
@testable import IDEOrchestrator

/// The `.env` file's syntax, loading and shell export for scripts.
@Suite struct EnvFileTests {
    @Test func parsesTheUsualForms() throws {
        let file = try EnvFile(parsing: """
            # a comment
              # an indented comment

            PORT=3002
            export HOST = 127.0.0.1
            RESOURCE_MEMORY_LIMIT=4294967296  # 4GB in bytes
            DOMAIN=ide.example.com#not-a-comment
            DOUBLE="a \\"quoted\\" \\\\ value\\nline" # trailing comment
            EMPTY=
            PORT=3003\r
            """, path: ".env")
        #expect(file.values["PORT"] == "3003", "a later line wins")
        #expect(file.values["HOST"] == "127.0.0.1")
        #expect(file.values["RESOURCE_MEMORY_LIMIT"] == "4294967296")
        #expect(file.values["DOMAIN"] == "ide.example.com#not-a-comment")
        #expect(file.values["DOUBLE"] == "a \"quoted\" \\ value\nline")
        #expect(file.values["EMPTY"] == "")
    }

    @Test func singleQuotesAreLiteral() throws {
        let file = try EnvFile(parsing: "A='x # y \\n $HOME'\nB=$HOME", path: ".env")
        #expect(file.values == ["A": "x # y \\n $HOME", "B": "$HOME"])
    }

    @Test(arguments: [
        ("AWS_SECRET_ACCESS_KEY=\"s3cr3t-value", 1, "AWS_SECRET_ACCESS_KEY", "not closed"),
        ("PORT=1\njust-a-s3cr3t-value-line", 2, nil, "expected NAME=VALUE"),
        ("\n\nAPI_KEY='s3cr3t-value' trailing", 3, "API_KEY", "after the closing quote"),
        ("1BAD=s3cr3t-value", 1, nil, "not a variable name"),
        ("MY VAR=s3cr3t-value", 1, nil, "not a variable name"),
    ] as [(String, Int, String?, String)])
    func malformedLinesNameTheLineButNeverItsText(text: String, line: Int, variable: String?, problem: String) {
        do {
            _ = try EnvFile(parsing: text, path: "/srv/.env")
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.hasPrefix("/srv/.env line \(line)"), "\(error)")
            #expect(error.description.contains(problem), "\(error)")
            if let variable { #expect(error.description.contains("(\(variable))")) }
            #expect(!error.description.contains("s3cr3t"), "\(error)")
        }
    }

    @Test func loadsDotEnvFromTheDirectoryOrTheNamedFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("envfile-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        #expect(try EnvFile.load(environment: [:], directory: directory.path) == nil, "a missing .env is skipped")
        do {
            _ = try EnvFile.load(environment: ["ENV_FILE": "other.env"], directory: directory.path)
            Issue.record("a missing named file was accepted")
        } catch {
            #expect(error.variable == "ENV_FILE")
        }

        try "API_KEY=from-dotenv\nRESOURCE_CPU_LIMIT=0.25\n".write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        try "API_KEY=from-other\n".write(to: directory.appendingPathComponent("other.env"), atomically: true, encoding: .utf8)
        let settings = try Settings.load(environment: [:], directory: directory.path)
        #expect(settings.apiKeys == ["from-dotenv"])
        #expect(settings.containerCPULimit == 0.25)
        #expect(settings.envFile == ".env")
        #expect(try Settings.load(environment: ["ENV_FILE": "other.env"], directory: directory.path).apiKeys == ["from-other"])
        #expect(try Settings.load(environment: ["ENV_FILE": directory.appendingPathComponent("other.env").path], directory: "/").apiKeys == ["from-other"])
        #expect(try Settings.load(environment: ["API_KEY": "real"], directory: directory.path).apiKeys == ["real"])
    }

    @Test func shellExportsLeaveOutWhatTheEnvironmentSetsUnderAnyName() throws {
        let file = try EnvFile(parsing: "CONTAINER_CPU_LIMIT=3\nPORT=3005\nAPI_KEY=it's\nSERVER_IP=10.0.0.1\nDOCKER_HOST=\n", path: ".env")
        let exports = file.shellExports(under: ["RESOURCE_CPU_LIMIT": "1", "DOCKER_HOST": "unix:///x"])
        #expect(exports == """
            export API_KEY='it'\\''s'
            export PORT='3005'
            export SERVER_IP='10.0.0.1'

            """)
    }
}
