import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 23 item 5: a container becomes `ready` only when its agent and its code, vnc and web
/// ports answer, and (with `TRAEFIK_PROBE_URL`) once Traefik routes it; past
/// `ROUTE_WAIT_TIMEOUT` the start says the route is still pending.
@Suite struct ReadyMeansReachableTests {
    typealias Lab = LifecycleTests.Lab

    @Test func aContainerWhoseEditorNeverAnswersNeverBecomesReady() async throws {
        let lab = try Lab(["CONTAINER_READY_TIMEOUT": "2s"])
        // The fake Swarm's first task address.
        lab.reach.breakPort("code", at: "10.77.0.2")
        let record = try await lab.orchestrator.launcher.newRecord(pooled: true)
        await #expect(throws: LaunchError.self) { try await lab.orchestrator.launcher.start(record) }
        let failed = try await lab.record(record.id)
        #expect(failed.status == .failed)
        let reason = try await lab.store.events(of: record.id).compactMap(\.reason).joined(separator: " | ")
        #expect(reason.contains("code not answering"), "\(reason)")
    }

    @Test func aColdStartAnswersOnlyOnceTraefikRoutesIt() async throws {
        let lab = try Lab(["COLD_START_TIMEOUT": "30s", "ROUTE_WAIT_TIMEOUT": "30s"])
        lab.reach.setRouting(false)
        let start = Task { try await lab.start("bucket-route") }
        try await WaitingLineTests.eventually("the route to be asked for twice") { lab.reach.routeChecks >= 2 }
        #expect(try await lab.store.containers(in: [.ready, .assigning, .running]).isEmpty)
        lab.reach.setRouting(true)
        let result = try await start.value
        #expect(result.record.status == .running)
        #expect(!result.routePending)
    }

    @Test func pastTheRouteBoundTheStartSaysTheRouteIsPending() async throws {
        let lab = try Lab(["COLD_START_TIMEOUT": "30s", "ROUTE_WAIT_TIMEOUT": "0s"])
        lab.reach.setRouting(false)
        let result = try await lab.start("bucket-pending")
        #expect(result.routePending)
        #expect(StartResponseJSON.routePending(of: result) == true)
    }

    @Test func aContainerThatWasReadyBeforeItsRouteIsNoLongerPendingOnceRouted() async throws {
        let lab = try Lab(["ROUTE_WAIT_TIMEOUT": "0s"])
        lab.reach.setRouting(false)
        try await lab.ready()
        lab.reach.setRouting(true)
        #expect(try await !lab.start("bucket-routed").routePending)
    }

    @Test func traefikIsAskedWithThePublicHostAndPathAndItsNotFoundMeansNotRouted() async throws {
        let router = Router()
        let seen = SeenRequests()
        router.get("/code/{id}/") { request, _ in
            seen.add("\(request.head.authority ?? "") \(request.uri.path)")
            return Response(status: .ok)
        }
        router.get("/vnc/{id}/") { _, _ in Response(status: .ok) }
        router.get("/web/{id}/") { _, _ in Response(status: .badGateway) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let reach = HTTPReachability(timeout: .seconds(5), traefik: "http://127.0.0.1:\(port)/")
            let urls = RoutePlan(domain: "ide.example.test", isPublic: false, certResolver: "", network: "n", httpPort: 8088).urls(for: "abc123")
            // The web route answers 502 (no reachable server): not routed yet.
            #expect(await !reach.routed(urls))
            #expect(seen.all == ["ide.example.test:8088 /code/abc123/"])
            var missing = urls
            missing.codeServer = "http://ide.example.test:8088/none/abc123/"
            #expect(await !reach.routed(missing))
            #expect(await HTTPReachability(timeout: .seconds(5), traefik: nil).routed(urls))
        }
    }
}

/// The `routePending` field of a start's JSON answer.
enum StartResponseJSON {
    static func routePending(of result: StartResult) -> Bool? {
        guard let data = try? JSONEncoder().encode(StartResponse(result)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["routePending"] as? Bool
    }
}

/// Requests a test server saw.
final class SeenRequests: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func add(_ line: String) { lines.withLock { $0.append(line) } }
}
