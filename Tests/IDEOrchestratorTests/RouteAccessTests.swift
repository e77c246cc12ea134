import Foundation
import Testing
@testable import IDEOrchestrator

/// Launch links, session cookies, revocation and the WebSocket Origin rule of the forwardAuth check.
@Suite struct RouteAccessTests {
    static let a = "aaaaaaaaaaaaaaaa"
    static let b = "bbbbbbbbbbbbbbbb"

    func access(_ extra: [String: String] = [:]) throws -> RouteAccess {
        let settings = try Settings(environment: ["API_KEY": "k"].merging(extra) { _, new in new })
        return RouteAccess(settings: settings.routeAccess, signer: SessionSigner(key: Data(repeating: 7, count: 32)))
    }

    func running(_ id: String, claimedAt: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> ContainerRecord {
        var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30,
                                     urls: RoutePlan(domain: "localhost", isPublic: false, certResolver: "", network: "n").urls(for: id), now: Date())
        record.status = .running
        record.assignedAt = claimedAt
        return record
    }

    /// The token of a launch URL.
    func token(_ url: String) throws -> String {
        try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "launch" }?.value)
    }

    /// Redeems `url`'s token for `id`/`route` and returns the cookie it sets.
    func redeem(_ access: RouteAccess, _ url: String, id: String, route: String = "code", now: Date = Date()) throws -> AccessDecision {
        let path = try #require(URLComponents(string: url)).path
        return access.decide(AccessCheck(route: route, id: id, forwardedProto: "http", forwardedHost: "localhost", forwardedURI: "\(path)?launch=\(try token(url))"), now: now)
    }

    func cookieHeader(_ decision: AccessDecision) throws -> String {
        guard case .redirect(_, let setCookie) = decision else { Issue.record("expected a redirect, got \(decision)"); return "" }
        return String(try #require(setCookie.split(separator: ";").first))
    }

    @Test func launchLinksCarry256BitTokensKeptOnlyAsHashes() throws {
        let access = try access()
        let urls = try #require(access.launchURLs(for: running(Self.a)))
        for url in [urls.codeServer, urls.vnc, urls.webServer] {
            let token = try token(url)
            #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
            #expect(url.hasPrefix("http://localhost/"))
        }
        #expect(Set([urls.codeServer, urls.vnc, urls.webServer].map { try! token($0) }).count == 3)
        #expect(access.launches.count == 3)
    }

    @Test func aLaunchTokenRedirectsWithoutItselfAndSetsAScopedCookieOnce() throws {
        let access = try access()
        let url = try #require(access.launchURLs(for: running(Self.a))).codeServer
        let first = try redeem(access, url, id: Self.a)
        guard case .redirect(let location, let cookie) = first else { Issue.record("no redirect: \(first)"); return }
        #expect(location == "http://localhost/code/\(Self.a)/")
        #expect(cookie.hasPrefix("ide_session="))
        #expect(cookie.contains("; Path=/code/\(Self.a);") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
        #expect(try redeem(access, url, id: Self.a) == .deny, "a launch token works once")
    }

    @Test func aTokenForAnotherContainerOrRouteOrPastItsLifetimeIsRefused() throws {
        let access = try access(["LAUNCH_TOKEN_TTL": "60s"])
        let urls = try #require(access.launchURLs(for: running(Self.a)))
        #expect(try redeem(access, urls.codeServer, id: Self.b) == .deny)
        #expect(try redeem(access, urls.codeServer, id: Self.a) == .deny, "a token shown to another container is spent")
        #expect(try redeem(access, urls.vnc, id: Self.a, route: "code") == .deny)
        let late = try #require(access.launchURLs(for: running(Self.a))).webServer
        #expect(try redeem(access, late, id: Self.a, route: "web", now: Date().addingTimeInterval(61)) == .deny)
    }

    @Test func aCookieOpensOnlyItsOwnContainerAndRouteUntilRevoked() throws {
        let access = try access()
        let cookie = try cookieHeader(try redeem(access, try #require(access.launchURLs(for: running(Self.a))).codeServer, id: Self.a))
        let check = { (id: String, route: String) in AccessCheck(route: route, id: id, forwardedProto: "http", forwardedHost: "localhost", forwardedURI: "/\(route)/\(id)/x", cookie: "other=1; \(cookie)") }
        #expect(access.decide(check(Self.a, "code")) == .allow)
        #expect(access.decide(check(Self.b, "code")) == .deny, "container A's cookie on container B")
        #expect(access.decide(check(Self.a, "vnc")) == .deny)
        #expect(access.decide(AccessCheck(route: "code", id: Self.a, forwardedURI: "/code/\(Self.a)/")) == .deny, "no cookie")
        #expect(access.decide(check(Self.a, "code"), now: Date().addingTimeInterval(13 * 3600)) == .deny, "expired")
        access.revoke(Self.a)
        #expect(access.decide(check(Self.a, "code")) == .deny, "revoked")
    }

    @Test func aForgedOrTamperedCookieIsRefused() throws {
        let access = try access()
        let cookie = try cookieHeader(try redeem(access, try #require(access.launchURLs(for: running(Self.a))).codeServer, id: Self.a))
        let parts = cookie.dropFirst("ide_session=".count).split(separator: ".")
        let longer = "ide_session=\(parts[0]).\(Int(parts[1])! + 86_400).\(parts[2])"
        #expect(access.decide(AccessCheck(route: "code", id: Self.a, cookie: longer)) == .deny)
        let other = RouteAccess(settings: try Settings(environment: ["API_KEY": "k"]).routeAccess, signer: SessionSigner(key: Data(repeating: 8, count: 32)))
        #expect(other.decide(AccessCheck(route: "code", id: Self.a, cookie: cookie)) == .deny, "another key")
    }

    @Test func webSocketsNeedTheContainersOwnOriginOrAnAllowedOne() throws {
        let access = try access(["IDE_ALLOWED_ORIGINS": "https://platform.example.com"])
        let cookie = try cookieHeader(try redeem(access, try #require(access.launchURLs(for: running(Self.a))).codeServer, id: Self.a))
        func ws(_ origin: String?, cookie: String? = cookie) -> AccessDecision {
            access.decide(AccessCheck(route: "code", id: Self.a, forwardedProto: "http", forwardedHost: "localhost:8088", forwardedURI: "/code/\(Self.a)/ws",
                                      cookie: cookie, origin: origin, isWebSocket: true))
        }
        #expect(ws("http://localhost:8088") == .allow)
        #expect(ws("https://platform.example.com") == .allow)
        #expect(ws("http://evil.example") == .forbidden)
        #expect(ws(nil) == .forbidden)
        #expect(ws("http://localhost:8088", cookie: nil) == .deny)
    }

    @Test func theProbeTokenOpensOnlyItsContainer() throws {
        let access = try access()
        let token = access.probeToken(id: Self.a)
        #expect(access.probeToken(forURL: "http://localhost:81/code/\(Self.a)/") == token)
        #expect(access.probeToken(forURL: "http://code-\(Self.a).localhost:81/") == token)
        #expect(access.decide(AccessCheck(route: "web", id: Self.a, probe: token)) == .allow)
        #expect(access.decide(AccessCheck(route: "web", id: Self.b, probe: token)) == .deny)
        #expect(try self.access(["IDE_ROUTE_AUTH": "false"]).probeToken(forURL: "http://localhost/code/\(Self.a)/") == nil)
    }

    @Test func hostModeServesEachRouteOnItsOwnHostWithHostOnlyCookies() throws {
        let settings = try Settings(environment: ["API_KEY": "k", "ROUTE_MODE": "host", "HTTP_PORT": "8088"])
        let plan = RoutePlan(settings: settings)
        #expect(plan.urls(for: Self.a) == ContainerURLs(codeServer: "http://code-\(Self.a).localhost:8088/", vnc: "http://vnc-\(Self.a).localhost:8088/",
                                                        webServer: "http://web-\(Self.a).localhost:8088/"))
        let labels = plan.traefikLabels(for: Self.a, keepingPrefix: ["code"])
        #expect(labels["traefik.http.routers.ide-\(Self.a)-web.rule"] == "Host(`web-\(Self.a).localhost`)")
        #expect(labels["traefik.http.routers.ide-\(Self.a)-web.middlewares"] == "ide-\(Self.a)-web-auth,ide-\(Self.a)-web-headers")
        #expect(labels["traefik.http.routers.ide-\(Self.a)-code.middlewares"] == "ide-\(Self.a)-code-auth,ide-\(Self.a)-code-headers,ide-\(Self.a)-code-root")
        #expect(labels["traefik.http.middlewares.ide-\(Self.a)-code-root.redirectregex.replacement"] == "${1}/code/\(Self.a)/")
        #expect(!labels.keys.contains { $0.contains("Service-Worker-Allowed") || $0.contains("stripprefix") })
        let access = RouteAccess(settings: settings.routeAccess, signer: SessionSigner(key: Data(repeating: 7, count: 32)))
        var record = running(Self.a)
        record.codeUrl = plan.urls(for: Self.a).codeServer
        let url = try #require(access.launchURLs(for: record)).codeServer
        #expect(url.hasPrefix("http://code-\(Self.a).localhost:8088/?launch="))
        let decision = access.decide(AccessCheck(route: "code", id: Self.a, forwardedProto: "https", forwardedHost: "code-\(Self.a).localhost", forwardedURI: "/?x=1&launch=\(try token(url))"))
        guard case .redirect(let location, let cookie) = decision else { Issue.record("no redirect: \(decision)"); return }
        #expect(location == "https://code-\(Self.a).localhost/?x=1")
        #expect(cookie.contains("; Path=/;") && cookie.contains("; Secure") && !cookie.contains("Domain="))
    }

    @Test func settingsDefaultToHostModeForDomainsAndRefuseBadValues() throws {
        let local = try Settings(environment: ["API_KEY": "k"]).routeAccess
        #expect(local.mode == .path && local.enabled && local.apiDomain == "localhost:3001" && local.authPort == 3002 && local.authURL == "http://127.0.0.1:3002")
        #expect(local.launchTokenTTL == .seconds(60) && local.sameSite == .lax)
        let domain = try Settings(environment: ["API_KEY": "k", "DOMAIN": "ide.example.com"]).routeAccess
        #expect(domain.mode == .host && domain.apiDomain == "api.ide.example.com" && domain.ideDomain == "ide.example.com")
        for (name, value) in [("ROUTE_MODE", "subdomain"), ("IDE_COOKIE_SAMESITE", "lenient"), ("LAUNCH_TOKEN_TTL", "0"), ("IDE_ALLOWED_ORIGINS", "not an origin"),
                              ("IDE_LOGIN_REDIRECT_URL", "ftp://x"), ("IDE_AUTH_PORT", "3001"), ("IDE_ROUTE_AUTH", "maybe")] {
            #expect(throws: SettingsError.self, "\(name)=\(value)") { try Settings(environment: ["API_KEY": "k", name: value]) }
        }
        #expect(throws: SettingsError.self) { try Settings(environment: ["API_KEY": "k", "ROUTE_MODE": "host", "DOMAIN": "10.0.0.1"]) }
    }

    @Test func theLoginRedirectReplacesThe401() throws {
        let settings = try Settings(environment: ["API_KEY": "k", "IDE_LOGIN_REDIRECT_URL": "https://platform.example.com/login"]).routeAccess
        let answer = AccessCheckServer.response(.deny, settings: settings)
        #expect(answer.status == .found && answer.headers[.location] == "https://platform.example.com/login")
        #expect(AccessCheckServer.response(.deny, settings: try Settings(environment: ["API_KEY": "k"]).routeAccess).status == .unauthorized)
    }
}
