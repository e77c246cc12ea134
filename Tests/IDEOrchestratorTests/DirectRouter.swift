import Foundation
import GRDB
import Hummingbird
import Logging
import NIOEmbedded
import Synchronization
import Testing
@testable import IDEOrchestrator

/// The real router over fakes, called request by request through its responder, so a test sees
/// the status and headers of a response whose body never ends (the event stream) and can send
/// bodies the test client cannot (streamed, without a length). The store counts its statements,
/// and log lines are kept.
struct DirectRouter {
    let orchestrator: Orchestrator
    let store: AppDatabase
    let engine: any DockerEngine
    let agent = FakeAgent()
    let responder: RouterResponder<AppRequestContext>
    let statements: Counter
    let writes: Counter
    let lines: Lines

    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    final class Lines: Sendable {
        private let value = Mutex<[String]>([])
        func append(_ line: String) { value.withLock { $0.append(line) } }
        var all: [String] { value.withLock { $0 } }
    }

    /// One answer: status, headers and (unless not read) the body as text.
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
        var code: String? { (json?["error"] as? [String: Any])?["code"] as? String }
        var message: String? { (json?["error"] as? [String: Any])?["message"] as? String }
    }

    static let publicDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Public").path

    init(_ environment: [String: String] = [:], engine: any DockerEngine = FakeDockerEngine(), resources: FixedResourceGate = .allowing) throws {
        let statements = Counter()
        let writes = Counter()
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            db.trace { event in
                statements.increment()
                if case .statement(let statement) = event, ["INSERT", "UPDATE", "DELETE", "REPLACE"].contains(where: { statement.sql.uppercased().hasPrefix($0) }) {
                    writes.increment()
                }
            }
        }
        store = try AppDatabase(DatabaseQueue(configuration: configuration))
        self.statements = statements
        self.writes = writes
        let lines = Lines()
        self.lines = lines
        var logger = Logger(label: "ide-orchestrator") { label in
            OrchestratorLogHandler(label: label, format: .json, metadataProvider: .requestID) { lines.append($0) }
        }
        logger.logLevel = .info
        self.engine = engine
        orchestrator = Orchestrator.make(
            settings: try testSettings(["PUBLIC_DIR": Self.publicDirectory].merging(environment) { _, new in new }), store: store,
            engine: engine, agent: agent, resources: resources, bucketChecker: AcceptingBucketChecker(), reach: FakeReach(), logger: logger
        )
        responder = buildRouter(orchestrator).buildResponder()
    }

    /// Sends one request; the body is read unless `readBody` is false.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: RequestBody = .init(buffer: ByteBuffer()), readBody: Bool = true) async throws -> Answer {
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers), body: body)
        let context = AppRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: orchestrator.logger))
        let response = try await responder.respond(to: request, context: context)
        // An endless body (the event stream) is left unread; an error body always is read.
        let text = readBody || response.status != .ok ? try await Self.text(of: response) : ""
        return Answer(status: response.status, headers: response.headers, body: text)
    }

    /// Reads a response's whole body.
    static func text(of response: Response) async throws -> String {
        let collector = Collector()
        try await response.body.write(collector)
        return collector.text
    }

    /// Sends a JSON body with its length.
    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], json: String) async throws -> Answer {
        var headers = headers
        headers[.contentLength] = String(json.utf8.count)
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await send(method, path, headers: headers, body: .init(buffer: ByteBuffer(string: json)))
    }

    /// A running container with its container token.
    func insertRunningContainer(bucket: String) async throws -> (record: ContainerRecord, token: String) {
        let token = "token-\(UUID().uuidString)"
        let id = try await orchestrator.insertReadyPoolContainer(address: "10.9.8.\(Int.random(in: 2...250))").id
        _ = try await store.transition(id, from: [.ready], to: .assigning, kind: "claimed") { $0.s3Bucket = bucket }
        let running = try await store.transition(id, from: [.assigning], to: .running, kind: "assigned") {
            $0.activityTokenHash = ClaimService.hash(token)
            $0.activityTracked = true
            $0.assignedAt = Date()
        }
        return (try #require(running), token)
    }

    /// A ready pool container (what a start claims).
    func insertReadyContainer() async throws {
        try await orchestrator.insertReadyPoolContainer(address: "10.9.7.\(Int.random(in: 2...250))")
    }

    private final class Collector: ResponseBodyWriter, @unchecked Sendable {
        var buffer = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws {
            var copy = buffer
            self.buffer.writeBuffer(&copy)
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
        var text: String { String(buffer: buffer) }
    }
}
