/// One request Traefik's forwardAuth asks about: the route and container its middleware names,
/// and the headers of the client's request that matter (Traefik sets the `X-Forwarded-*` ones
/// itself: `trustForwardHeader` is off).
public struct AccessCheck: Sendable {
    /// `code`, `vnc` or `web`, from the check URL of the router's middleware.
    public var route: String
    /// The container id, from the check URL of the router's middleware.
    public var id: String
    /// `X-Forwarded-Proto`.
    public var forwardedProto: String?
    /// `X-Forwarded-Host`.
    public var forwardedHost: String?
    /// `X-Forwarded-Uri`: the original path and query (forwardAuth runs before any strip).
    public var forwardedURI: String?
    /// The `Cookie` header.
    public var cookie: String?
    /// The `Origin` header.
    public var origin: String?
    /// Whether the request is a WebSocket upgrade (`Sec-WebSocket-Key` or `Upgrade: websocket`).
    public var isWebSocket: Bool
    /// The readiness probe's header, if any.
    public var probe: String?

    public init(route: String, id: String, forwardedProto: String? = nil, forwardedHost: String? = nil, forwardedURI: String? = nil,
                cookie: String? = nil, origin: String? = nil, isWebSocket: Bool = false, probe: String? = nil) {
        self.route = route
        self.id = id
        self.forwardedProto = forwardedProto
        self.forwardedHost = forwardedHost
        self.forwardedURI = forwardedURI
        self.cookie = cookie
        self.origin = origin
        self.isWebSocket = isWebSocket
        self.probe = probe
    }

    /// The values of every cookie named `name` in the `Cookie` header.
    func cookieValues(named name: String) -> [Substring] {
        guard let cookie else { return [] }
        return cookie.split(separator: ";").compactMap { pair in
            let trimmed = pair.drop(while: { $0 == " " })
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { return nil }
            return trimmed[trimmed.index(after: equals)...]
        }
    }

    /// The container's own origin as the browser sees it (`scheme://host[:port]`, default port left out).
    var ownOrigin: String? {
        guard let host = forwardedHost?.lowercased(), !host.isEmpty else { return nil }
        let scheme = forwardedProto?.lowercased() == "https" ? "https" : "http"
        return Self.normalized(scheme: scheme, hostAndPort: host)
    }

    /// `origin` without a default port, in lower case.
    static func normalizedOrigin(_ origin: String) -> String? {
        let lower = origin.lowercased()
        guard let separator = lower.range(of: "://") else { return nil }
        return normalized(scheme: String(lower[..<separator.lowerBound]), hostAndPort: String(lower[separator.upperBound...]))
    }

    private static func normalized(scheme: String, hostAndPort: String) -> String {
        let defaultPort = scheme == "https" ? ":443" : ":80"
        let host = hostAndPort.hasSuffix(defaultPort) ? String(hostAndPort.dropLast(defaultPort.count)) : hostAndPort
        return "\(scheme)://\(host)"
    }
}

/// What the check answers.
public enum AccessDecision: Sendable, Equatable {
    /// 200: Traefik forwards the request.
    case allow
    /// 302 to `location` (the same URL without its launch token), setting the session cookie.
    case redirect(location: String, setCookie: String)
    /// 401, or 302 to `IDE_LOGIN_REDIRECT_URL`.
    case deny
    /// 403: a WebSocket upgrade from a foreign `Origin`.
    case forbidden
}
