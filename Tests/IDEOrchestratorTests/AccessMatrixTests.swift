import Foundation
import Hummingbird
import Testing
@testable import IDEOrchestrator

/// Issue 8, item 8: every route the router serves, plus the static files, with no credential,
/// a wrong key, another container's token, and the right credential. Only health, liveness,
/// readiness, the OpenAPI document, `/` and the dashboard's files answer without one.
@Suite struct AccessMatrixTests {
    /// Who may call a route.
    enum Access: Sendable {
        /// Anyone.
        case open
        /// An API key.
        case apiKey
        /// The container named in the path, with its own token.
        case containerToken
    }

    /// The credentials every route is tried with.
    enum Credential: String, CaseIterable, Sendable {
        case none, wrongKey, otherContainersToken, apiKey, ownContainerToken
    }

    /// Every route and who may call it, with the status the right credential gets. A route the
    /// router serves that is missing here fails `everyServedRouteIsInTheMatrix`.
    static let matrix: [String: (access: Access, allowed: HTTPResponse.Status)] = [
        "GET /": (.open, .found),
        "GET /live": (.open, .ok),
        "GET /ready": (.open, .ok),
        "GET /api/health": (.open, .ok),
        "GET /api/openapi.yaml": (.open, .ok),
        "GET /dashboard/": (.open, .ok),
        "GET /dashboard/index.html": (.open, .ok),
        "GET /dashboard/js/live.js": (.open, .ok),
        "GET /dashboard/dashboard.css": (.open, .ok),
        "GET /metrics": (.apiKey, .ok),
        "GET /api/queue": (.apiKey, .ok),
        "GET /api/nodes": (.apiKey, .ok),
        "GET /api/events": (.apiKey, .ok),
        "GET /api/events/recent": (.apiKey, .ok),
        "POST /api/containers/start": (.apiKey, .created),
        "GET /api/containers": (.apiKey, .ok),
        "GET /api/containers/{id}": (.apiKey, .ok),
        "DELETE /api/containers/{id}": (.apiKey, .ok),
        "DELETE /api/containers/{id}/record": (.apiKey, .conflict),
        "POST /api/containers/{id}/launch": (.apiKey, .ok),
        "POST /api/containers/{id}/activity": (.containerToken, .ok),
        "POST /api/containers/{id}/inactivity-shutdown": (.containerToken, .ok),
    ]

    @Test func everyServedRouteIsInTheMatrix() throws {
        let served = try OpenAPIDocumentTests.servedRoutes()
        #expect(served.count >= 15)
        let missing = served.filter { Self.matrix[$0] == nil }
        #expect(missing == [], "routes without an access rule: add them to AccessMatrixTests.matrix")
        let documented = OpenAPIPaths.operations(in: try OpenAPIDocumentTests.document())
        #expect(documented.filter { Self.matrix[$0] == nil } == [], "documented operations without an access rule")
    }

    static var cases: [(String, Credential)] {
        matrix.keys.sorted().flatMap { route in Credential.allCases.map { (route, $0) } }
    }

    @Test(arguments: cases)
    func routeAnswersOnlyTheRightCredential(route: String, credential: Credential) async throws {
        let (access, allowed) = try #require(Self.matrix[route])
        let router = try DirectRouter()
        try await router.insertReadyContainer()
        let (target, targetToken) = try await router.insertRunningContainer(bucket: "target-bucket")
        let (_, otherToken) = try await router.insertRunningContainer(bucket: "other-bucket")
        let parts = route.split(separator: " ", maxSplits: 1)
        let method = HTTPRequest.Method(String(parts[0]))!
        let path = parts[1].replacingOccurrences(of: "{id}", with: target.id)

        var headers: HTTPFields = [:]
        switch credential {
        case .none: break
        case .wrongKey: headers[.authorization] = "Bearer not-a-key"
        case .otherContainersToken: headers[.authorization] = "Bearer \(otherToken)"
        case .apiKey: headers[.authorization] = "Bearer key-one"
        case .ownContainerToken: headers[.authorization] = "Bearer \(targetToken)"
        }
        let isStream = path == "/api/events"
        let answer: DirectRouter.Answer
        if method == .post && path == "/api/containers/start" {
            answer = try await router.send(method, path, headers: headers, json: #"{"s3Bucket":"matrix-bucket"}"#)
        } else {
            answer = try await router.send(method, path, headers: headers, readBody: !isStream)
        }

        let granted = switch access {
        case .open: true
        case .apiKey: credential == .apiKey
        case .containerToken: credential == .ownContainerToken
        }
        if granted {
            #expect(answer.status == allowed, "\(route) with \(credential): \(answer.body.prefix(300))")
        } else {
            #expect(answer.status == .unauthorized, "\(route) with \(credential): \(answer.status) \(answer.body.prefix(300))")
            #expect(answer.code == (access == .apiKey ? "AUTHENTICATION_FAILED" : "INVALID_ACTIVITY_TOKEN"))
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
            // Refused requests change nothing.
            #expect(try await router.store.container(target.id)?.status == .running)
            #expect(router.agent.assignments.isEmpty)
        }
    }
}
