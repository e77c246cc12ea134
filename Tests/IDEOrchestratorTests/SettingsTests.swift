import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct SettingsTests {
    @Test func defaultsApplyWhenOnlyTheKeyIsGiven() throws {
        let settings = try Settings(environment: ["API_KEY": "k1"])
        #expect(settings.port == 3001)
        #expect(settings.host == "0.0.0.0")
        #expect(settings.apiKeys == ["k1"])
        #expect(settings.dockerHost == .unixSocket(path: "/var/run/docker.sock"))
        #expect(settings.databasePath == "data/containers.db")
        #expect(settings.ideImage == "classla-ide-container:latest")
        #expect(settings.poolSize == 10)
        #expect(settings.containerCPULimit == 2)
        #expect(settings.containerMemoryLimit == 4 << 30)
        #expect(settings.maxMemoryPercent == 90)
        #expect(settings.maxCPUPercent == 90)
        #expect(settings.domain == "localhost")
        #expect(settings.swarmNetwork == "ide-network")
        #expect(settings.logLevel == .info)
        #expect(settings.s3 == nil)
    }

    @Test func keysComeFromBothVariablesAsLists() throws {
        let settings = try Settings(environment: ["API_KEY": "a, b", "API_KEYS": "c"])
        #expect(settings.apiKeys == ["a", "b", "c"])
    }

    @Test func keysAndS3SecretComeFromFilesSuchAsDockerSecrets() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = directory.appendingPathComponent("api_key").path
        let secret = directory.appendingPathComponent("s3_secret").path
        try "file-key-1\nfile-key-2,file-key-3\n".write(toFile: keys, atomically: true, encoding: .utf8)
        try "s3-secret-from-file\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let settings = try Settings(environment: [
            "API_KEY_FILE": keys, "S3_ENDPOINT": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "id", "S3_SECRET_ACCESS_KEY_FILE": secret,
        ])
        #expect(settings.apiKeys == ["file-key-1", "file-key-2", "file-key-3"])
        #expect(settings.s3?.secretAccessKey == "s3-secret-from-file")
    }

    @Test func unreadableKeyFileNamesTheVariable() {
        do {
            _ = try Settings(environment: ["API_KEY_FILE": "/nonexistent/api_key"])
            Issue.record("a missing key file was accepted")
        } catch {
            #expect(error.variable == "API_KEY_FILE")
        }
    }

    @Test func traefikNetworkDefaultsToTheSwarmNetworkAndPortTo80() throws {
        let settings = try Settings(environment: ["API_KEY": "k", "SWARM_NETWORK": "net-a"])
        #expect(settings.traefikNetwork == "net-a")
        #expect(settings.httpPort == 80)
    }

    @Test func missingKeyNamesTheVariable() {
        #expect(throws: SettingsError.self) { try Settings(environment: [:]) }
        do {
            _ = try Settings(environment: ["API_KEY": "  "])
        } catch {
            #expect(error.variable == "API_KEY")
        }
    }

    @Test(arguments: [
        ("PORT", "abc"), ("PORT", "0"), ("PORT", "70000"),
        ("DOCKER_HOST", "ssh://host"), ("DOCKER_HOST", "tcp://nohost"),
        ("PRE_WARMED_QUEUE_SIZE", "-1"), ("CONTAINER_CPU_LIMIT", "lots"),
        ("CONTAINER_MEMORY_LIMIT", "4 potatoes"), ("CONTAINER_MEMORY_LIMIT", "1KB"),
        ("MAX_MEMORY_PERCENT", "150"), ("LOG_LEVEL", "loud"), ("DOMAIN", "bad domain"),
        ("AGENT_TIMEOUT", "soon"), ("S3_ENDPOINT", "ftp://x"), ("HTTP_PORT", "0"), ("HTTP_PORT", "http"),
    ])
    func malformedValueIsRejectedNamingTheVariable(variable: String, value: String) {
        do {
            _ = try Settings(environment: ["API_KEY": "k", variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.contains(variable))
        }
    }

    @Test func secretsAreNotEchoedInErrors() {
        do {
            _ = try Settings(environment: ["API_KEY": "k", "S3_ENDPOINT": "http://127.0.0.1:1", "S3_ACCESS_KEY_ID": "id"])
            Issue.record("missing secret was accepted")
        } catch {
            #expect(error.variable == "S3_SECRET_ACCESS_KEY")
            #expect(error.found == nil)
        }
    }

    @Test func memoryLimitAcceptsBytesAndUnits() {
        #expect(ByteSizeParser.parse("4GB") == 4 << 30)
        #expect(ByteSizeParser.parse("512m") == 512 << 20)
        #expect(ByteSizeParser.parse("1.5g") == 3 << 29)
        #expect(ByteSizeParser.parse("1073741824") == 1 << 30)
        #expect(ByteSizeParser.parse("GB") == nil)
        #expect(ByteSizeParser.parse("-1") == nil)
    }

    @Test func durationsAcceptUnitsAndPlainSeconds() {
        #expect(DurationParser.parse("500ms") == .milliseconds(500))
        #expect(DurationParser.parse("30s") == .seconds(30))
        #expect(DurationParser.parse("5m") == .seconds(300))
        #expect(DurationParser.parse("2") == .seconds(2))
        #expect(DurationParser.parse("x") == nil)
    }

    @Test func domainDecidesWhetherRoutesUseHostAndTLS() throws {
        #expect(try Settings(environment: ["API_KEY": "k"]).domainIsPublic == false)
        #expect(try Settings(environment: ["API_KEY": "k", "DOMAIN": "10.1.2.3"]).domainIsPublic == false)
        #expect(try Settings(environment: ["API_KEY": "k", "DOMAIN": "ide.example.com"]).domainIsPublic == true)
    }

    @Test func environmentDocListsExactlyTheVariablesTheSettingsRead() throws {
        let reader = EnvironmentReader(environment: [
            "API_KEY": "k", "S3_ENDPOINT": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s",
        ])
        _ = try Settings(reader: reader)
        let catalog = Dictionary(uniqueKeysWithValues: SettingKey.all.map { ($0.name, $0) })
        #expect(reader.accessed == Set(catalog.keys), "the settings read a variable missing from SettingKey.all, or the reverse")

        let documented = try DocumentedVariables.load()
        #expect(Set(documented.keys) == Set(catalog.keys), "ENVIRONMENT_VARIABLES.md and SettingKey.all list different variables")
        for (name, key) in catalog {
            let expected = key.defaultValue.map { $0.isEmpty ? "(empty)" : "`\($0)`" } ?? "(required)"
            #expect(documented[name] == expected, "default of \(name) differs between the doc and the code")
        }
    }
}

/// The variable table of ENVIRONMENT_VARIABLES.md: name to the default column.
enum DocumentedVariables {
    static func load() throws -> [String: String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("ENVIRONMENT_VARIABLES.md"), encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            result[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1]
        }
        return result
    }
}
