/// The three public routes of every IDE container, where they are served and how Traefik sends
/// them there (labels: `RoutePlan+Labels.swift`).
public struct RoutePlan: Sendable {
    /// One routed port.
    public struct Route: Sendable {
        /// `code`, `vnc` or `web`; also the URL's first path segment (path mode) or host label (host mode).
        public let name: String
        /// The container port.
        public let port: Int
    }

    /// code -> 8080, vnc -> 6080, web -> 3000.
    public static let routes = [Route(name: "code", port: 8080), Route(name: "vnc", port: 6080), Route(name: "web", port: 3000)]

    /// The public host name of path-mode routes.
    public let domain: String
    /// Whether the domain is a real name (Host rule, websecure, TLS) rather than localhost or an IP.
    public let isPublic: Bool
    /// The certresolver for public domains.
    public let certResolver: String
    /// The Swarm network Traefik reaches the tasks on.
    public let network: String
    /// The port of Traefik's plain-HTTP entrypoint, carried by non-public URLs unless it is 80.
    public let httpPort: Int
    /// `ROUTE_MODE`.
    public let mode: RouteAccessSettings.Mode
    /// The host host-mode routes are served under (`IDE_DOMAIN`).
    public let ideDomain: String
    /// Where Traefik's forwardAuth reaches the check listener; nil: routes are open (`IDE_ROUTE_AUTH=false`).
    public let authURL: String?

    /// Creates a plan from the settings.
    public init(settings: Settings) {
        let access = settings.routeAccess
        self.init(domain: settings.domain, isPublic: settings.domainIsPublic, certResolver: settings.traefikCertResolver,
                  network: settings.traefikNetwork, httpPort: settings.httpPort, mode: access.mode, ideDomain: access.ideDomain,
                  authURL: access.enabled ? access.authURL : nil)
    }

    /// Creates a plan.
    public init(
        domain: String, isPublic: Bool, certResolver: String, network: String, httpPort: Int = 80,
        mode: RouteAccessSettings.Mode = .path, ideDomain: String? = nil, authURL: String? = nil
    ) {
        self.domain = domain
        self.isPublic = isPublic
        self.certResolver = certResolver
        self.network = network
        self.httpPort = httpPort
        self.mode = mode
        self.ideDomain = ideDomain ?? domain
        self.authURL = authURL
    }

    /// Where the public URLs start: HTTPS for a real domain, else plain HTTP on Traefik's port.
    public var baseURL: String { base(host: domain) }

    private func base(host name: String) -> String {
        if isPublic { return "https://\(name)" }
        let host = name.contains(":") ? "[\(name)]" : name
        return httpPort == 80 ? "http://\(host)" : "http://\(host):\(httpPort)"
    }

    /// The host of route `route` of container `id` in host mode: `<route>-<id>.<IDE_DOMAIN>`.
    public func host(route: String, id: String) -> String {
        "\(route)-\(id.lowercased()).\(ideDomain)"
    }

    /// The public URL of one route of container `id`.
    public func url(route: String, id: String) -> String {
        switch mode {
        case .path: return "\(baseURL)/\(route)/\(id)/"
        case .host: return "\(base(host: host(route: route, id: id)))/"
        }
    }

    /// The public URLs of container `id`.
    public func urls(for id: String) -> ContainerURLs {
        ContainerURLs(codeServer: url(route: "code", id: id), vnc: url(route: "vnc", id: id), webServer: url(route: "web", id: id))
    }
}
