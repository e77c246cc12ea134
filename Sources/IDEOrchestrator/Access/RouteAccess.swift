import Foundation
import Logging

/// Who may open an IDE container's routes: launch links handed out with a claim, the session
/// cookies they turn into, and the revocation of both when the container stops or changes hands.
/// The forwardAuth listener (`AccessCheckServer`) asks `decide` about every IDE request.
public final class RouteAccess: Sendable {
    /// The session cookie's name.
    public static let cookieName = "ide_session"
    /// The launch token's query parameter.
    public static let launchParameter = "launch"

    /// The settings.
    public let settings: RouteAccessSettings
    /// Unredeemed launch tokens.
    public let launches: LaunchTokens
    /// Containers whose sessions have ended.
    public let revocations: Revocations
    private let signer: SessionSigner

    /// Access over `signer`'s key.
    public init(settings: RouteAccessSettings, signer: SessionSigner) {
        self.settings = settings
        self.signer = signer
        launches = LaunchTokens(ttl: settings.launchTokenTTL)
        revocations = Revocations(sessionTTL: settings.sessionTTL)
    }

    /// Whether IDE routes are checked at all (`IDE_ROUTE_AUTH`).
    public var isEnabled: Bool { settings.enabled }

    /// The claim generation of `record`: its claim time in milliseconds (a container is claimed at most once).
    static func generation(of record: ContainerRecord) -> Int64 {
        Int64(((record.assignedAt?.timeIntervalSince1970 ?? 0) * 1000).rounded())
    }

    /// Fresh launch links for `record`'s URLs, one token per route; nil when routes are open.
    public func launchURLs(for record: ContainerRecord, now: Date = Date()) -> ContainerURLs? {
        guard isEnabled else { return nil }
        let generation = Self.generation(of: record)
        func link(_ url: String, _ route: String) -> String {
            let token = launches.issue(id: record.id, route: route, generation: generation, now: now)
            return url + (url.contains("?") ? "&" : "?") + "\(Self.launchParameter)=\(token)"
        }
        let urls = record.urls
        return ContainerURLs(codeServer: link(urls.codeServer, "code"), vnc: link(urls.vnc, "vnc"), webServer: link(urls.webServer, "web"))
    }

    /// The header value a readiness probe of container `id` sends through Traefik.
    public func probeToken(id: String) -> String {
        signer.probeToken(id: id)
    }

    /// The probe header's value for one of a container's public URLs (`/<route>/<id>/` or
    /// `<route>-<id>.<IDE_DOMAIN>`); nil when routes are open or the URL names no container.
    public func probeToken(forURL url: String) -> String? {
        guard isEnabled, let parts = URLComponents(string: url) else { return nil }
        let fromHost = parts.host?.split(separator: ".").first?.split(separator: "-", maxSplits: 1).last
        let fromPath = parts.path.split(separator: "/").dropFirst().first
        guard let id = [fromHost, fromPath].compactMap({ $0 }).first(where: { ContainerID.isWellFormed($0) }) else { return nil }
        return probeToken(id: String(id))
    }

    /// Ends every session of container `id` at once.
    public func revoke(_ id: String) {
        revocations.revoke(id)
    }

    /// The answer to one forwardAuth request.
    public func decide(_ check: AccessCheck, now: Date = Date()) -> AccessDecision {
        guard RoutePlan.routes.contains(where: { $0.name == check.route }), ContainerID.isWellFormed(check.id) else { return .deny }
        guard !revocations.isRevoked(check.id) else { return .deny }
        let uri = check.forwardedURI ?? "/"
        let (path, query) = Self.split(uri)
        if let token = query.first(where: { $0.hasPrefix("\(Self.launchParameter)=") })?.dropFirst(Self.launchParameter.count + 1) {
            guard let grant = launches.redeem(token, id: check.id, route: check.route, now: now) else { return .deny }
            let rest = query.filter { !$0.hasPrefix("\(Self.launchParameter)=") }
            // Absolute: Traefik resolves a relative Location against the check listener's URL.
            let location = (check.ownOrigin ?? "") + String(path) + (rest.isEmpty ? "" : "?" + rest.joined(separator: "&"))
            return .redirect(location: location, setCookie: setCookie(check, generation: grant.generation, now: now))
        }
        let authenticated = check.probe.map { signer.isProbeToken($0[...], id: check.id) } == true
            || check.cookieValues(named: Self.cookieName).contains { signer.verify($0, id: check.id, route: check.route, now: now) != nil }
        guard authenticated else { return .deny }
        if check.isWebSocket {
            guard let origin = check.origin.flatMap(AccessCheck.normalizedOrigin),
                  origin == check.ownOrigin || settings.allowedOrigins.contains(origin) else { return .forbidden }
        }
        return .allow
    }

    /// The `Set-Cookie` value of a new session: host-only, scoped to the route's path in path mode.
    func setCookie(_ check: AccessCheck, generation: Int64, now: Date) -> String {
        let lifetime = settings.sessionTTL.components.seconds
        let expiry = Int64(now.timeIntervalSince1970) + lifetime
        let value = signer.cookie(id: check.id, route: check.route, generation: generation, expiry: expiry)
        let path = settings.mode == .path ? "/\(check.route)/\(check.id)" : "/"
        var cookie = "\(Self.cookieName)=\(value); Path=\(path); Max-Age=\(lifetime); HttpOnly; SameSite=\(settings.sameSite.rawValue)"
        if check.forwardedProto?.lowercased() == "https" || settings.sameSite == .none { cookie += "; Secure" }
        return cookie
    }

    /// The path and the `&`-separated query items of a request URI.
    static func split(_ uri: String) -> (path: Substring, query: [Substring]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri[...], []) }
        return (uri[..<mark], uri[uri.index(after: mark)...].split(separator: "&"))
    }
}

extension RouteAccess {
    /// Logs, at every start, how IDE routes are protected; a warning when they are open.
    public static func announce(_ settings: RouteAccessSettings, to logger: Logger) {
        if settings.enabled {
            logger.info("IDE routes need a launch link", metadata: [
                "mode": "\(settings.mode.rawValue)", "ideDomain": "\(settings.ideDomain)", "apiDomain": "\(settings.apiDomain)", "check": "\(settings.authURL)",
            ])
        } else {
            logger.warning("IDE_ROUTE_AUTH=false: IDE routes are open to anyone who knows a container's URL (editor, terminal, files, bucket credentials); use only behind a proxy of your own that authenticates every request")
        }
    }
}
