import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import IDEOrchestrator

/// The OpenAPI document describes every route the router serves, and is what it serves.
@Suite struct OpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/IDEOrchestrator/Resources/openapi.yaml")

    static func document() throws -> String {
        try String(contentsOf: documentURL, encoding: .utf8)
    }

    static func orchestrator() throws -> Orchestrator {
        Orchestrator.make(settings: try testSettings(), store: try AppDatabase.inMemory(), engine: FakeDockerEngine(), agent: FakeAgent(),
                          resources: FixedResourceGate.allowing, bucketChecker: nil, logger: quietLogger())
    }

    /// `METHOD /path` for every route of the real router, in OpenAPI's `{param}` form.
    static func servedRoutes() throws -> [String] {
        try buildRouter(orchestrator()).routes.map { OpenAPIPaths.operation(method: $0.method.rawValue, path: $0.path.description) }
    }

    @Test func everyServedRouteIsDocumentedWithItsMethod() throws {
        let routes = try Self.servedRoutes()
        #expect(routes.count >= 8, "the router lists fewer routes than expected: \(routes)")
        let documented = OpenAPIPaths.operations(in: try Self.document())
        #expect(OpenAPIPaths.undocumented(routes, documented: documented) == [], "routes missing from openapi.yaml")
    }

    @Test func checkReportsARouteAddedWithoutDocumentation() throws {
        let documented = OpenAPIPaths.operations(in: try Self.document())
        let routes = try Self.servedRoutes() + [
            OpenAPIPaths.operation(method: "GET", path: "/api/containers/:id/logs"),
            OpenAPIPaths.operation(method: "PUT", path: "/live"),
            OpenAPIPaths.operation(method: "PATCH", path: "/api/containers/{id}"),
        ]
        #expect(OpenAPIPaths.undocumented(routes, documented: documented) == [
            "GET /api/containers/{id}/logs", "PUT /live", "PATCH /api/containers/{id}",
        ])
    }

    @Test func knownOperationsAreParsedFromTheDocument() throws {
        let documented = OpenAPIPaths.operations(in: try Self.document())
        for operation in ["POST /api/containers/start", "GET /api/containers", "GET /api/containers/{id}", "DELETE /api/containers/{id}",
                          "GET /api/health", "GET /live", "GET /ready", "GET /api/queue", "GET /api/openapi.yaml"] {
            #expect(documented.contains(operation), "\(operation) not found by the parser")
        }
        // Path-level keys (parameters) and nested keys are not operations.
        #expect(!documented.contains { $0.hasPrefix("PARAMETERS ") || $0.hasPrefix("RESPONSES ") })
    }

    @Test func parserReadsOnlyOperationsDirectlyUnderPaths() {
        let yaml = """
        openapi: 3.1.0
        info:
          description: |
            paths:
              /not/a/path:
                get:
        paths:
          /a:
            parameters:
              - name: x
            get:
              description: |
                post:
              responses:
                '200':
                  description: ok
          '/b/{id}':
            delete:
              summary: d
        components:
          schemas:
            get:
              type: object
        """
        #expect(OpenAPIPaths.operations(in: yaml) == ["GET /a", "DELETE /b/{id}"])
    }

    @Test func routeParametersBecomeTemplateSegments() {
        #expect(OpenAPIPaths.operation(method: "get", path: "/api/containers/:id") == "GET /api/containers/{id}")
        #expect(OpenAPIPaths.operation(method: "GET", path: "/api/containers/{id}/") == "GET /api/containers/{id}")
        #expect(OpenAPIPaths.operation(method: "GET", path: "api/health") == "GET /api/health")
    }

    @Test func servedDocumentIsTheResourceFile() async throws {
        let expected = try Data(contentsOf: Self.documentURL)
        try await Application(router: buildRouter(Self.orchestrator())).test(.router) { client in
            let response = try await client.execute(uri: "/api/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(Data(response.body.readableBytesView) == expected)
        }
    }
}

/// A minimal reader of an OpenAPI document's `paths:` section, by indentation.
enum OpenAPIPaths {
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `METHOD /path` with `:name` segments written `{name}` and no trailing slash.
    static func operation(method: String, path: String) -> String {
        let segments = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
        return "\(method.uppercased()) /\(segments.joined(separator: "/"))"
    }

    /// Every `METHOD /path` under the top-level `paths:` key.
    static func operations(in yaml: String) -> Set<String> {
        var result: Set<String> = []
        var inPaths = false
        var pathIndent: Int?
        var currentPath: String?
        var operationIndent: Int?
        for raw in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            let indent = line.prefix { $0 == " " }.count
            if indent == 0 {
                inPaths = content == "paths:"
                pathIndent = nil
                currentPath = nil
                continue
            }
            guard inPaths, content.hasSuffix(":"), !content.hasPrefix("-") else { continue }
            let key = String(content.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            if pathIndent == nil { pathIndent = indent }
            if indent == pathIndent {
                currentPath = key.hasPrefix("/") ? key : nil
                operationIndent = nil
                continue
            }
            guard let currentPath, let pathIndent, indent > pathIndent else { continue }
            if operationIndent == nil { operationIndent = indent }
            if indent == operationIndent, methods.contains(key) {
                result.insert(operation(method: key, path: currentPath))
            }
        }
        return result
    }

    /// The routes missing from the documented operations, in the routes' order.
    static func undocumented(_ routes: [String], documented: Set<String>) -> [String] {
        routes.filter { !documented.contains($0) }
    }
}
