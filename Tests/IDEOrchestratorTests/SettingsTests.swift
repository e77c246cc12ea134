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
            #expect(error.variable == "AWS_SECRET_ACCESS_KEY")
            #expect(error.description.contains("S3_SECRET_ACCESS_KEY"))
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
        let reader = try EnvironmentReader.layered(environment: [
            "API_KEY": "k", "S3_ENDPOINT": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s",
        ], directory: FileManager.default.temporaryDirectory.path)
        _ = try Settings(reader: reader)
        let catalog = Dictionary(uniqueKeysWithValues: SettingKey.all.map { ($0.name, $0) })
        #expect(reader.accessed == Set(catalog.keys), "the settings read a variable missing from SettingKey.all, or the reverse")

        let documented = try DocumentedVariables.load()
        #expect(Set(documented.defaults.keys) == Set(catalog.keys), "ENVIRONMENT_VARIABLES.md and SettingKey.all list different variables")
        for (name, key) in catalog {
            let expected = key.defaultValue.map { $0.isEmpty ? "(empty)" : "`\($0)`" } ?? "(required)"
            #expect(documented.defaults[name] == expected, "default of \(name) differs between the doc and the code")
        }
        let aliases = Dictionary(uniqueKeysWithValues: SettingKey.all.flatMap { key in key.aliases.map { ($0, key.name) } })
        #expect(documented.aliases == aliases, "the aliases of ENVIRONMENT_VARIABLES.md and SettingKey.all differ")
        #expect(!aliases.isEmpty)
    }

    @Test func envExampleListsEveryVariableWithItsDefaultAndAComment() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func assignment(_ line: String) -> (name: String, value: String)? {
            let text = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            guard let equals = text.firstIndex(of: "="), EnvFile.isVariableName(String(text[..<equals])) else { return nil }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        var listed: [String: String] = [:]
        for (index, line) in lines.enumerated() {
            guard let (name, value) = assignment(line) else { continue }
            #expect(listed[name] == nil, "\(name) is listed twice")
            listed[name] = value
            #expect(index > 0 && lines[index - 1].hasPrefix("# ") && assignment(lines[index - 1]) == nil, "\(name) has no comment above it")
        }
        #expect(Set(listed.keys) == Set(SettingKey.all.map(\.name)), ".env.example and SettingKey.all list different variables")
        for key in SettingKey.all {
            #expect(listed[key.name] == (key.defaultValue ?? ""), "default of \(key.name) differs between .env.example and the code")
            for alias in key.aliases { #expect(text.contains(alias), ".env.example does not mention the alias \(alias)") }
        }
        // The example itself is a valid file, and the service starts from it once a key is filled in.
        let file = try EnvFile(parsing: text, path: ".env.example")
        #expect(file.values == ["API_KEY": ""])
        #expect(try Settings(reader: EnvironmentReader(environment: ["API_KEY": "k"], file: file.values)).poolSize == 10)
    }
}

/// The tables of ENVIRONMENT_VARIABLES.md: variable to default column, alias to canonical name.
struct DocumentedVariables {
    var defaults: [String: String] = [:]
    var aliases: [String: String] = [:]

    static func load() throws -> DocumentedVariables {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("ENVIRONMENT_VARIABLES.md"), encoding: .utf8)
        var result = DocumentedVariables()
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            switch cells.count {
            case 3: result.defaults[name] = cells[1]
            case 2: result.aliases[name] = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            default: continue
            }
        }
        return result
    }
}
