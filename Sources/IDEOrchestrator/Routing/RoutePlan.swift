/// The three public routes of every IDE container and where Traefik sends them.
public struct RoutePlan: Sendable {
    /// One routed port.
    public struct Route: Sendable {
        /// `code`, `vnc` or `web`; also the URL's first path segment.
        public let name: String
        /// The container port.
        public let port: Int
    }

    /// code -> 8080, vnc -> 6080, web -> 3000.
    public static let routes = [Route(name: "code", port: 8080), Route(name: "vnc", port: 6080), Route(name: "web", port: 3000)]

    /// The public host name.
    public let domain: String
    /// Whether the domain is a real name (Host rule, websecure, TLS) rather than localhost or an IP.
    public let isPublic: Bool
    /// The certresolver for public domains.
    public let certResolver: String
    /// The Swarm network Traefik reaches the tasks on.
    public let network: String
    /// The port of Traefik's plain-HTTP entrypoint, carried by non-public URLs unless it is 80.
    public let httpPort: Int

    /// Creates a plan from the settings.
    public init(settings: Settings) {
        self.init(domain: settings.domain, isPublic: settings.domainIsPublic, certResolver: settings.traefikCertResolver,
                  network: settings.traefikNetwork, httpPort: settings.httpPort)
    }

    /// Creates a plan.
    public init(domain: String, isPublic: Bool, certResolver: String, network: String, httpPort: Int = 80) {
        self.domain = domain
        self.isPublic = isPublic
        self.certResolver = certResolver
        self.network = network
        self.httpPort = httpPort
    }

    /// Where the public URLs start: HTTPS for a real domain, else plain HTTP on Traefik's port.
    public var baseURL: String {
        if isPublic { return "https://\(domain)" }
        let host = domain.contains(":") ? "[\(domain)]" : domain
        return httpPort == 80 ? "http://\(host)" : "http://\(host):\(httpPort)"
    }

    /// The public URLs of container `id`.
    public func urls(for id: String) -> ContainerURLs {
        let base = baseURL
        return ContainerURLs(codeServer: "\(base)/code/\(id)/", vnc: "\(base)/vnc/\(id)/", webServer: "\(base)/web/\(id)/")
    }

    /// Traefik v3 labels for the Swarm service of container `id`. Routes named in
    /// `keepingPrefix` (the image's `keep-prefix` labels) reach the container with their
    /// `/<route>/<id>` prefix: no strip middleware. The agent's port is never routed.
    ///
    /// `id` must come from `ContainerID`: it is the only variable text in the rules.
    public func traefikLabels(for id: String, keepingPrefix: Set<String> = []) -> [String: String] {
        precondition(ContainerID.isWellFormed(id), "container ids are generated, never user input")
        var labels = [
            "traefik.enable": "true",
            "traefik.swarm.network": network,
        ]
        for route in Self.routes {
            let name = "ide-\(id)-\(route.name)"
            let prefix = "/\(route.name)/\(id)"
            let router = "traefik.http.routers.\(name)"
            labels["\(router).rule"] = isPublic ? "Host(`\(domain)`) && PathPrefix(`\(prefix)`)" : "PathPrefix(`\(prefix)`)"
            labels["\(router).entrypoints"] = isPublic ? "websecure" : "web"
            if isPublic { labels["\(router).tls.certresolver"] = certResolver }
            labels["\(router).service"] = name
            labels["traefik.http.services.\(name).loadbalancer.server.port"] = String(route.port)
            guard !keepingPrefix.contains(route.name) else { continue }
            labels["\(router).middlewares"] = "\(name)-strip"
            labels["traefik.http.middlewares.\(name)-strip.stripprefix.prefixes"] = prefix
        }
        return labels
    }
}
