import HTTPTypes
import Hummingbird
import Logging

/// The forwardAuth listener Traefik calls for every IDE request (`IDE_AUTH_PORT`): a server of
/// its own, without the API's middleware, so that it never shares the API's routes, rate limits
/// or public entrypoint. `GET /check/<route>/<id>` answers for one route of one container;
/// `GET /deny` answers every request as refused (Traefik's catch-all router for IDE hosts and
/// paths that no container serves, so a stopped or unknown container looks like a live one).
public enum AccessCheckServer {
    /// The header (lower case) every refusal carries, so the readiness probe tells the catch-all
    /// router's answer from a container's own 401; it says nothing about the container.
    public static let deniedHeader = "x-ide-route-denied"

    /// The listener as a service of the application.
    public static func application(access: RouteAccess, host: String, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(access: access),
            configuration: .init(address: .hostname(host, port: access.settings.authPort), serverName: "ide-orchestrator-auth"),
            logger: logger
        )
    }

    /// The check routes.
    public static func router(access: RouteAccess) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/check/:route/:id") { request, context in
            let check = AccessCheck(
                route: context.parameters.get("route") ?? "", id: context.parameters.get("id") ?? "",
                forwardedProto: request.headers[.xForwardedProto], forwardedHost: request.headers[.xForwardedHost],
                forwardedURI: request.headers[.xForwardedURI], cookie: request.headers[values: .cookie].joined(separator: "; "),
                origin: request.headers[.origin],
                isWebSocket: request.headers[.secWebSocketKey] != nil || request.headers[.upgrade]?.lowercased() == "websocket",
                probe: request.headers[.routeProbe]
            )
            return response(access.decide(check), settings: access.settings)
        }
        router.get("/deny") { _, _ in response(.deny, settings: access.settings) }
        return router
    }

    static func response(_ decision: AccessDecision, settings: RouteAccessSettings) -> Response {
        switch decision {
        case .allow:
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        case .redirect(let location, let cookie):
            return Response(status: .found, headers: [.location: location, .setCookie: cookie, .cacheControl: "no-store", .referrerPolicy: "no-referrer"])
        case .forbidden:
            return text(.forbidden, "Forbidden: this origin may not open the IDE's connections\n")
        case .deny:
            if let login = settings.loginRedirectURL {
                return Response(status: .found, headers: [.location: login, .cacheControl: "no-store", .routeDenied: "1"])
            }
            var answer = text(.unauthorized, "Unauthorized: open the IDE through a launch link\n")
            answer.headers[.routeDenied] = "1"
            return answer
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let xForwardedURI = HTTPField.Name("X-Forwarded-Uri")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let routeProbe = HTTPField.Name(RoutePlan.probeHeader)!
    static let routeDenied = HTTPField.Name(AccessCheckServer.deniedHeader)!
}
