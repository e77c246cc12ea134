import Hummingbird
import Synchronization

/// Turns "no route" into 405 `METHOD_NOT_ALLOWED` with `Allow` when the path is served with
/// other methods. The routes are loaded once the router has them all.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard let allowed = routes.methods(for: path), !allowed.contains(request.method.rawValue) else { throw error }
            var response = try ErrorMiddleware<Context>.render(
                APIError("METHOD_NOT_ALLOWED", .methodNotAllowed, "Method not allowed on \(path.prefix(200))"), path: path
            )
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }
}

/// The router's path templates and their methods; a path gets the methods of the most specific
/// templates it matches (static segments before parameters: `/api/containers/start` is not an id).
final class RouteTable: Sendable {
    private let templates: Mutex<[(segments: [Substring], methods: [String])]> = .init([])

    func load(_ routes: [(method: String, path: String)]) {
        var byPath: [String: [String]] = [:]
        for route in routes { byPath[route.path, default: []].append(route.method) }
        templates.withLock { $0 = byPath.map { (Self.segments($0.key), $0.value.sorted()) } }
    }

    func methods(for path: String) -> [String]? {
        let parts = Self.segments(path)
        let matching = templates.withLock { $0 }.filter { template in
            template.segments.count == parts.count
                && zip(template.segments, parts).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
        }
        let specificity = { (segments: [Substring]) in segments.filter { !$0.hasPrefix(":") && !$0.hasPrefix("{") }.count }
        guard let best = matching.map({ specificity($0.segments) }).max() else { return nil }
        return Array(Set(matching.filter { specificity($0.segments) == best }.flatMap(\.methods))).sorted()
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

