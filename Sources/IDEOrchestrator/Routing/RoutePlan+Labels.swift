extension RoutePlan {
    /// The request header a readiness probe proves itself with (`RouteAccess.probeToken`);
    /// Traefik removes it before the request reaches the container.
    public static let probeHeader = "X-IDE-Route-Probe"

    /// Traefik v3 labels for the Swarm service of container `id`.
    ///
    /// Each route's router runs, in this order: the forwardAuth check of this service (unless
    /// `IDE_ROUTE_AUTH=false`; first, so it sees the original path; `trustForwardHeader` off, so
    /// Traefik sets the `X-Forwarded-*` headers itself), a headers middleware (removes the probe
    /// header from requests and, in path mode, `Service-Worker-Allowed` from answers), and the
    /// prefix strip (path mode, unless the image keeps the prefix: `keepingPrefix`). In host mode a
    /// kept-prefix route redirects its bare root to `/<route>/<id>/`. The agent's port is never routed.
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
            let middleware = "traefik.http.middlewares.\(name)"
            let keepsPrefix = keepingPrefix.contains(route.name)
            switch mode {
            case .path:
                labels["\(router).rule"] = isPublic ? "Host(`\(domain)`) && PathPrefix(`\(prefix)`)" : "PathPrefix(`\(prefix)`)"
            case .host:
                labels["\(router).rule"] = "Host(`\(host(route: route.name, id: id))`)"
            }
            labels["\(router).entrypoints"] = isPublic ? "websecure" : "web"
            if isPublic {
                labels["\(router).tls.certresolver"] = certResolver
                if mode == .host { labels["\(router).tls.domains[0].main"] = "*.\(ideDomain)" }
            }
            labels["\(router).service"] = name
            labels["traefik.http.services.\(name).loadbalancer.server.port"] = String(route.port)
            var chain: [String] = []
            if let authURL {
                chain.append("\(name)-auth")
                labels["\(middleware)-auth.forwardauth.address"] = "\(authURL)/check/\(route.name)/\(id)"
                labels["\(middleware)-auth.forwardauth.trustForwardHeader"] = "false"
                chain.append("\(name)-headers")
                labels["\(middleware)-headers.headers.customrequestheaders.\(Self.probeHeader)"] = ""
                if mode == .path { labels["\(middleware)-headers.headers.customresponseheaders.Service-Worker-Allowed"] = "" }
            } else if mode == .path {
                chain.append("\(name)-headers")
                labels["\(middleware)-headers.headers.customresponseheaders.Service-Worker-Allowed"] = ""
            }
            if mode == .path && !keepsPrefix {
                chain.append("\(name)-strip")
                labels["\(middleware)-strip.stripprefix.prefixes"] = prefix
            }
            if mode == .host && keepsPrefix {
                chain.append("\(name)-root")
                labels["\(middleware)-root.redirectregex.regex"] = "^(https?://[^/?]+)/?$"
                labels["\(middleware)-root.redirectregex.replacement"] = "${1}\(prefix)/"
            }
            if !chain.isEmpty { labels["\(router).middlewares"] = chain.joined(separator: ",") }
        }
        return labels
    }
}
