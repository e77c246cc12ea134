/// The variables of protected IDE routes (docs/security.md, "Protected IDE routes").
extension SettingKey {
    static let ideRouteAuth = SettingKey("IDE_ROUTE_AUTH", "true", "true puts a forwardAuth check of this service in front of every IDE route: a browser gets in only through a launch link (launchUrls) and then holds a session cookie for that container; false keeps the routes open to anyone who knows the URL, for platforms that front the IDEs with their own proxy (a warning at every start).")
    static let routeMode = SettingKey("ROUTE_MODE", "", "How IDE containers are addressed: host (each route of each container on its own origin, https://<route>-<id>.<IDE_DOMAIN>/) or path (the original /code/<id>/ URLs on one host; Service-Worker-Allowed is stripped, see docs/security.md for what it cannot isolate); empty means host when DOMAIN is a domain name and path for localhost or an IP address.")
    static let ideDomain = SettingKey("IDE_DOMAIN", "", "Host name the IDE routes are served under (host mode: <route>-<id>.<IDE_DOMAIN>, a wildcard DNS name and certificate); empty means DOMAIN.")
    static let apiDomain = SettingKey("API_DOMAIN", "", "Host (and port) of the API and the dashboard, never an IDE host; the stack's Traefik routes /api and /dashboard only for it; empty means api.<DOMAIN> for a domain name, else localhost:<PORT>.")
    static let launchTokenTTL = SettingKey("LAUNCH_TOKEN_TTL", "60s", "How long a launch link's one-time token is valid, 1s to 1h.")
    static let ideSessionTTL = SettingKey("IDE_SESSION_TTL", "12h", "Lifetime of the session cookie a launch link sets, 1m to 7d; a stop, re-claim, idle shutdown or DELETE ends it before.")
    static let ideCookieSameSite = SettingKey("IDE_COOKIE_SAMESITE", "Lax", "SameSite attribute of the IDE session cookie: Lax, Strict or None (None needs https).")
    static let ideAllowedOrigins = SettingKey("IDE_ALLOWED_ORIGINS", "", "Comma-separated origins (scheme://host[:port]) besides the container's own whose pages may open WebSocket connections to it; any other Origin gets 403.")
    static let ideLoginRedirectURL = SettingKey("IDE_LOGIN_REDIRECT_URL", "", "Where a browser without a valid launch link or session is sent (302) instead of getting 401, e.g. the platform's sign-in page.")
    static let ideSessionKeyFile = SettingKey("IDE_SESSION_KEY_FILE", "", "File holding the key session cookies and route probes are signed with (kept outside the database); created with 32 random bytes and mode 0600 when missing; empty means ide-session.key next to DATABASE_PATH.")
    static let ideAuthPort = SettingKey("IDE_AUTH_PORT", "", "TCP port of the forwardAuth check endpoint Traefik calls for every IDE request: a listener of its own (on HOST) that Traefik never routes publicly; empty means PORT + 1 (3002 by default).")
    static let ideAuthURL = SettingKey("IDE_AUTH_URL", "", "URL at which Traefik reaches the check listener, e.g. http://tasks.orchestrator:3002 in the stack; empty means http://127.0.0.1:<IDE_AUTH_PORT>.")

    /// The protected-route variables, in documentation order.
    static let routeAccessKeys: [SettingKey] = [
        .ideRouteAuth, .routeMode, .ideDomain, .apiDomain, .launchTokenTTL, .ideSessionTTL, .ideCookieSameSite,
        .ideAllowedOrigins, .ideLoginRedirectURL, .ideSessionKeyFile, .ideAuthPort, .ideAuthURL,
    ]
}
