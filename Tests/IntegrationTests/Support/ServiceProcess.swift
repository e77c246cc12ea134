import Foundation
import Testing
@testable import IDEOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// The real `ide-orchestrator serve` binary, run against the private Swarm with its own
/// database, port and instance name, so tests never see each other's containers.
final class ServiceProcess: @unchecked Sendable {
    let port: Int
    let apiKey = "test-key-\(UUID().uuidString.prefix(8))"
    let instance = TestEnvironment.uniqueName("itest")
    let directory: URL
    let environment: [String: String]
    private(set) var process: Process?
    private let http = CurlHTTPClient()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["IDE_ORCHESTRATOR_BINARY"] { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/ide-orchestrator")
    }

    /// Runs `body` against a fresh service, then tears it down whatever happens.
    /// `envFile` becomes the `.env` in the service's working directory.
    static func run(_ overrides: [String: String] = [:], envFile: String? = nil, _ body: (ServiceProcess) async throws -> Void) async throws {
        let service = try await ServiceProcess(overrides, envFile: envFile)
        do {
            try await body(service)
        } catch {
            Issue.record("service log tail: \(service.logTail())")
            await service.tearDown()
            throw error
        }
        await service.tearDown()
    }

    /// Starts the service with the given settings on top of test defaults (an empty value
    /// unsets a default, so a `.env` value can show through).
    init(_ overrides: [String: String] = [:], envFile: String? = nil) async throws {
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(instance)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let envFile { try envFile.write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8) }
        var env = [
            "PATH": "/usr/bin:/bin",
            "DOCKER_HOST": TestEnvironment.dockerHost ?? "",
            "IDE_CONTAINER_IMAGE": TestEnvironment.image,
            "SWARM_NETWORK": TestEnvironment.network,
            "CONTAINER_MEMORY_LIMIT": "128MB",
            "CONTAINER_CPU_LIMIT": "0.5",
            "POOL_CHECK_INTERVAL": "1s",
            "RATE_LIMIT_PER_MINUTE": "0",
            // The machine's own CPU load must not decide whether a test may spawn containers.
            "MAX_CPU_PERCENT": "100",
            "LOG_LEVEL": "debug",
        ]
        env.merge(overrides) { _, new in new }
        env["API_KEY"] = apiKey
        env["PORT"] = String(port)
        // The route check listener's default (PORT + 1) may be another test service's port.
        if env["IDE_AUTH_PORT"] == nil { env["IDE_AUTH_PORT"] = String(try Self.freePort()) }
        env["HOST"] = "127.0.0.1"
        env["INSTANCE_NAME"] = instance
        env["DATABASE_PATH"] = directory.appendingPathComponent("containers.db").path
        environment = env
        try await launch()
    }

    /// Starts (or restarts) the process and waits for `/live`.
    func launch() async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve"]
        process.environment = environment
        // Its own directory, so a developer's .env in the checkout never reaches a test.
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("service.log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        _ = try await eventually(within: .seconds(20), "the service to answer /live") { () -> Bool? in
            guard process.isRunning else { throw TimeoutError(what: "service exited: \(self.logTail())") }
            return try await self.call("GET", "/live", key: nil).status == 200 ? true : nil
        }
    }

    /// Sends `signal` and waits for the process to exit.
    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// Stops the process and removes every service of this instance and the temp directory.
    func tearDown() async {
        stop(signal: SIGKILL)
        if let engine = try? TestEnvironment.engine(),
           let services = try? await engine.services(labels: [ServiceBlueprint.instanceLabel: instance]) {
            for service in services { try? await engine.removeService(service.id) }
        }
        // Their agent-token secrets go once no service uses them.
        if let engine = try? TestEnvironment.engine() {
            _ = try? await eventually(within: .seconds(10), "the instance's secrets to go") { () -> Bool? in
                let secrets = try await engine.secrets(labels: [ServiceBlueprint.instanceLabel: self.instance])
                for secret in secrets { try? await engine.removeSecret(secret.id) }
                return secrets.isEmpty ? true : nil
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    struct Reply: @unchecked Sendable {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        var text: String
    }

    /// One API call; `key` defaults to the service's key.
    func call(_ method: String, _ path: String, headers extra: [String: String] = [:], body: String? = nil, key: String? = "") async throws -> Reply {
        var headers: [(name: String, value: String)] = [(name: "Content-Type", value: "application/json")] + extra.map { (name: $0.key, value: $0.value) }
        let bearer = key == "" ? apiKey : key
        if let bearer { headers.append((name: "Authorization", value: "Bearer \(bearer)")) }
        let response = try await http.execute(HTTPClientRequest(
            method: method, endpoint: .tcp(baseURL: "http://127.0.0.1:\(port)"), path: path,
            headers: headers, body: body.map { Data($0.utf8) }, timeout: .seconds(120)
        ))
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return Reply(status: response.status, headers: response.headers, json: json, text: String(decoding: response.body, as: UTF8.self))
    }

    /// Starts a container for `bucket`.
    func start(bucket: String, extra: String = "") async throws -> Reply {
        try await call("POST", "/api/containers/start", body: #"{"s3Bucket":"\#(bucket)","s3Region":"us-east-1"\#(extra)}"#)
    }

    /// The pool figures from `/api/health`.
    func pool() async throws -> [String: Int] {
        let health = try await call("GET", "/api/health")
        return (health.json["pool"] as? [String: Int]) ?? [:]
    }

    /// Waits until the pool has `ready` containers ready.
    func waitForReady(_ ready: Int, within timeout: Duration = .seconds(90)) async throws {
        _ = try await eventually(within: timeout, "\(ready) ready containers") { () -> Bool? in
            try await self.pool()["ready"] == ready ? true : nil
        }
    }

    /// Services of this instance in the engine.
    func services() async throws -> [DockerService] {
        try await TestEnvironment.engine().services(labels: [ServiceBlueprint.instanceLabel: instance])
    }

    /// The agent tokens the service derives, from its key file (next to its database unless
    /// AGENT_TOKEN_KEY_FILE says otherwise); disabled with AGENT_AUTH=false.
    var agentTokens: AgentTokens {
        guard environment["AGENT_AUTH"] != "false" else { return .disabled }
        let path = environment["AGENT_TOKEN_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? directory.appendingPathComponent("agent-token.key").path
        return (try? AgentTokens.loadOrCreateKey(at: path)).map { AgentTokens(key: $0) } ?? .disabled
    }

    /// Container `id`'s agent token, as the service sends it.
    func agentToken(for id: String) -> String? { agentTokens.token(for: id) }

    /// An agent client that authenticates like the service does.
    func agentClient(timeout: Duration = .seconds(5)) -> HTTPAgentClient { HTTPAgentClient(tokens: agentTokens, timeout: timeout) }

    /// The whole service log so far.
    func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("service.log"), encoding: .utf8)) ?? ""
    }

    /// The bytes of the database file and its WAL, as text.
    func databaseBytes() -> String {
        ["containers.db", "containers.db-wal"].compactMap { FileManager.default.contents(atPath: directory.appendingPathComponent($0).path) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: directory.appendingPathComponent("service.log"), encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSetupError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Reads what a container's dev agent was assigned (the dev image's `GET /assignment`), with
/// the container's agent token.
func agentAssignment(address: String, token: String?) async throws -> [String: Any] {
    let headers = token.map { [(name: "Authorization", value: "Bearer \($0)")] } ?? []
    let response = try await CurlHTTPClient().execute(HTTPClientRequest(endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/assignment", headers: headers, timeout: .seconds(5)))
    return (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
}
