import Foundation

/// How IDE routes are addressed and who may open them: launch links, session cookies checked by
/// Traefik's forwardAuth, and the hosts the IDEs and the API live on.
public struct RouteAccessSettings: Sendable {
    /// How a container's routes are addressed.
    public enum Mode: String, Sendable, CaseIterable {
        /// `/<route>/<id>/` on one host (the original URLs).
        case path
        /// `<route>-<id>.<IDE_DOMAIN>`: an origin per route and container.
        case host
    }

    /// The cookie's SameSite attribute.
    public enum SameSite: String, Sendable, CaseIterable {
        case lax = "Lax", strict = "Strict", none = "None"
    }

    /// Whether every IDE route is behind the forwardAuth check (`IDE_ROUTE_AUTH`).
    public var enabled: Bool
    /// `ROUTE_MODE`.
    public var mode: Mode
    /// The host IDE routes are served under.
    public var ideDomain: String
    /// The API's and the dashboard's host (and port).
    public var apiDomain: String
    /// How long a launch token is valid.
    public var launchTokenTTL: Duration
    /// How long a session cookie is valid.
    public var sessionTTL: Duration
    /// The cookie's SameSite attribute.
    public var sameSite: SameSite
    /// Origins besides the container's own that may open WebSockets to it.
    public var allowedOrigins: Set<String>
    /// Where a refused browser is sent; nil: 401.
    public var loginRedirectURL: String?
    /// The session key's file.
    public var keyFile: String
    /// The check listener's port.
    public var authPort: Int
    /// Where Traefik reaches the check listener.
    public var authURL: String

    init(_ env: EnvironmentReader, domain: String, domainIsPublic: Bool, databasePath: String, port: Int) throws(SettingsError) {
        enabled = try env.boolean(.ideRouteAuth)
        let modeText = env.string(.routeMode).lowercased()
        if modeText.isEmpty {
            mode = domainIsPublic ? .host : .path
        } else {
            guard let chosen = Mode(rawValue: modeText) else {
                throw SettingsError(variable: SettingKey.routeMode.name, expected: "host or path (or empty)", found: modeText)
            }
            mode = chosen
        }
        ideDomain = env.string(.ideDomain).nilIfEmpty?.lowercased() ?? domain
        guard Settings.isValidHostName(ideDomain) else {
            throw SettingsError(variable: SettingKey.ideDomain.name, expected: "a host name such as ide.example.com or localhost", found: ideDomain)
        }
        if mode == .host && IPAddress.isIPAddress(ideDomain) {
            throw SettingsError(variable: SettingKey.ideDomain.name, expected: "a host name (ROUTE_MODE=host puts a label in front of it; an IP address cannot have one)", found: ideDomain)
        }
        apiDomain = env.string(.apiDomain).nilIfEmpty?.lowercased() ?? (domainIsPublic ? "api.\(domain)" : "localhost:\(port)")
        let apiHost = apiDomain.split(separator: ":").first.map(String.init) ?? apiDomain
        guard Settings.isValidHostName(apiHost) else {
            throw SettingsError(variable: SettingKey.apiDomain.name, expected: "a host name, optionally with :port, such as api.example.com", found: apiDomain)
        }
        if domainIsPublic && mode == .path && apiHost == ideDomain {
            throw SettingsError(variable: SettingKey.apiDomain.name, expected: "a host other than the IDEs' (\(ideDomain)): tenants control pages on that host", found: apiDomain)
        }
        launchTokenTTL = try env.duration(.launchTokenTTL, minimum: .seconds(1), maximum: .seconds(3600))
        sessionTTL = try env.duration(.ideSessionTTL, minimum: .seconds(60), maximum: .seconds(7 * 86_400))
        let sameSiteText = env.string(.ideCookieSameSite)
        guard let chosenSameSite = SameSite.allCases.first(where: { $0.rawValue.lowercased() == sameSiteText.lowercased() }) else {
            throw SettingsError(variable: SettingKey.ideCookieSameSite.name, expected: "Lax, Strict or None", found: sameSiteText)
        }
        sameSite = chosenSameSite
        var origins = Set<String>()
        for entry in env.list(.ideAllowedOrigins) {
            guard let origin = Self.origin(entry) else {
                throw SettingsError(variable: SettingKey.ideAllowedOrigins.name, expected: "comma-separated origins such as https://platform.example.com", found: entry)
            }
            origins.insert(origin)
        }
        allowedOrigins = origins
        let redirect = env.string(.ideLoginRedirectURL).trimmingCharacters(in: .whitespaces)
        guard redirect.isEmpty || WorkspaceSettings.isEndpoint(redirect) else {
            throw SettingsError(variable: SettingKey.ideLoginRedirectURL.name, expected: "an http:// or https:// URL, or empty", found: redirect)
        }
        loginRedirectURL = redirect.nilIfEmpty
        keyFile = env.string(.ideSessionKeyFile).nilIfEmpty
            ?? URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("ide-session.key").path
        if env.string(.ideAuthPort).isEmpty {
            authPort = port % 65535 + 1
        } else {
            authPort = try env.integer(.ideAuthPort, in: 1...65535)
        }
        if authPort == port {
            throw SettingsError(variable: SettingKey.ideAuthPort.name, expected: "a port other than PORT (the check listener is never the API's)", found: String(authPort))
        }
        let url = env.string(.ideAuthURL).trimmingCharacters(in: .whitespaces)
        guard url.isEmpty || WorkspaceSettings.isEndpoint(url) else {
            throw SettingsError(variable: SettingKey.ideAuthURL.name, expected: "an http:// URL Traefik reaches the check listener at, e.g. http://tasks.orchestrator:3002", found: url)
        }
        authURL = url.nilIfEmpty?.trimmingSuffix("/") ?? "http://127.0.0.1:\(authPort)"
    }

    /// `scheme://host[:port]` in lower case, or nil when `text` is not an origin.
    static func origin(_ text: String) -> String? {
        guard let parts = URLComponents(string: text.trimmingCharacters(in: .whitespaces)), let scheme = parts.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = parts.host, !host.isEmpty, parts.path.isEmpty || parts.path == "/",
              parts.query == nil else { return nil }
        return "\(scheme)://\(host.lowercased())\(parts.port.map { ":\($0)" } ?? "")"
    }
}
