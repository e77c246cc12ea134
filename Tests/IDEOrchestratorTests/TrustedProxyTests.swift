import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import IDEOrchestrator

/// Issue 23, item 8: behind Traefik each client has its own anonymous budget (`TRUSTED_PROXIES`),
/// and a container's own callbacks are limited per container, never by the anonymous budget.
@Suite struct TrustedProxyTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    @Test func trustedProxiesAcceptIPv4AndIPv6RangesAndNameTheFirstBadEntry() throws {
        let settings = try testSettings(["TRUSTED_PROXIES": " 10.231.0.0/24, fd00::/8 ,192.0.2.7, ::ffff:198.51.100.0/120"])
        #expect(settings.trustedProxies.map(\.description) == ["10.231.0.0/24", "fd00:0:0:0:0:0:0:0/8", "192.0.2.7/32", "198.51.100.0/24"])
        #expect(try testSettings().trustedProxies.isEmpty, "no proxy is trusted by default")
        for bad in ["10.0.0.0/33", "traefik", "10.0.0.0/", "fd00::/129", "10.0.0.0/-1", "::ffff:10.0.0.0/95"] {
            #expect(throws: SettingsError(variable: "TRUSTED_PROXIES", expected: "comma-separated CIDR ranges such as 10.0.0.0/8 or fd00::/8 (or bare addresses)", found: bad)) {
                try testSettings(["TRUSTED_PROXIES": "10.1.0.0/16,\(bad),fd00::/8"])
            }
        }
    }

    @Test func rangesMatchTheirAddressesOnly() throws {
        let v4 = try #require(IPRange("10.231.0.0/24"))
        #expect(v4.contains(try #require(IPBytes("10.231.0.77"))))
        #expect(v4.contains(try #require(IPBytes("::ffff:10.231.0.77"))), "a dual-stack socket's IPv4 peer")
        #expect(!v4.contains(try #require(IPBytes("10.231.1.1"))))
        #expect(!v4.contains(try #require(IPBytes("fd00::1"))))
        let v6 = try #require(IPRange("fd12:3456::/32"))
        #expect(v6.contains(try #require(IPBytes("fd12:3456:ffff::9"))))
        #expect(!v6.contains(try #require(IPBytes("fd12:3457::9"))))
        #expect(try #require(IPRange("0.0.0.0/0")).contains(try #require(IPBytes("203.0.113.9"))))
        #expect(IPBytes("203.0.113") == nil && IPBytes("") == nil && IPBytes("10.0.0.1:80") == nil)
    }

    @Test func theClientIsTheRightMostUntrustedForwardedAddressOnlyBehindATrustedPeer() throws {
        let client = ClientAddress(trusted: [try #require(IPRange("10.231.0.0/24")), try #require(IPRange("fd00::/8"))])
        func of(_ peer: String, _ forwarded: [String]) throws -> String {
            var headers = HTTPFields()
            for value in forwarded { headers.append(.init(name: Self.forwardedFor, value: value)) }
            let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/live", headerFields: headers), body: .init(buffer: ByteBuffer()))
            return client.of(request, peer: try SocketAddress(ipAddress: peer, port: 40000))
        }
        #expect(try of("10.231.0.5", ["203.0.113.9"]) == "203.0.113.9")
        #expect(try of("10.231.0.5", ["198.51.100.1, 203.0.113.9"]) == "203.0.113.9", "what the client wrote left of it is ignored")
        #expect(try of("10.231.0.5", ["198.51.100.1", "203.0.113.9, 10.231.0.8"]) == "203.0.113.9", "trusted hops are skipped, headers joined")
        #expect(try of("fd00::7", ["2001:db8::1"]) == "2001:db8::1")
        #expect(try of("10.231.0.5", ["10.231.0.9"]) == "10.231.0.9", "only trusted addresses: the left-most")
        #expect(try of("10.231.0.5", []) == "10.231.0.5", "no header: the proxy itself")
        #expect(try of("10.231.0.5", ["203.0.113.9, not-an-address"]) == "10.231.0.5", "a hop no proxy wrote ends the walk")
        #expect(try of("10.0.1.7", ["203.0.113.9"]) == "10.0.1.7", "an untrusted peer (a tenant on the IDE network) cannot name another client")
        #expect(try of("::ffff:10.231.0.5", ["203.0.113.9"]) == "203.0.113.9")
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnBudget() async throws {
        let router = try DirectRouter(["PUBLIC_RATE_LIMIT_PER_MINUTE": "2", "TRUSTED_PROXIES": "127.0.0.0/8,::1"])
        try await Application(router: buildRouter(router.orchestrator)).test(.live) { client in
            let first: HTTPFields = [Self.forwardedFor: "203.0.113.9"]
            #expect(try await client.execute(uri: "/live", method: .get, headers: first).status == .ok)
            #expect(try await client.execute(uri: "/live", method: .get, headers: first).status == .ok)
            #expect(try await client.execute(uri: "/live", method: .get, headers: first).status == .tooManyRequests)
            let forged = try await client.execute(uri: "/live", method: .get, headers: [Self.forwardedFor: "198.51.100.1, 203.0.113.9"])
            #expect(forged.status == .tooManyRequests, "a client cannot escape its budget by prepending addresses")
            let second: HTTPFields = [Self.forwardedFor: "203.0.113.10"]
            #expect(try await client.execute(uri: "/live", method: .get, headers: second).status == .ok, "another client behind the proxy is not starved")
            #expect(try await client.execute(uri: "/api/health", method: .get, headers: second).status == .ok)
        }
    }

    @Test func aContainerCallbackWithItsValidTokenIsLimitedPerContainerNotByTheAnonymousBudget() async throws {
        let router = try DirectRouter(["PUBLIC_RATE_LIMIT_PER_MINUTE": "2"])
        let (record, token) = try await router.insertRunningContainer(bucket: "b-one")
        let (other, otherToken) = try await router.insertRunningContainer(bucket: "b-two")
        // Someone sending wrong keys spends the anonymous budget of the shared address.
        for _ in 0..<3 { _ = try await router.send(.get, "/api/containers", headers: [.authorization: "Bearer wrong-key"]) }
        #expect(try await router.send(.get, "/live").status == .tooManyRequests)
        let auth: HTTPFields = [.authorization: "Bearer \(token)"]
        #expect(try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth).status == .ok)
        #expect(try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth).status == .ok)
        let third = try await router.send(.post, "/api/containers/\(record.id)/activity", headers: auth)
        #expect(third.status == .tooManyRequests, "each container has its own budget")
        #expect(third.headers[.retryAfter] != nil)
        #expect(try await router.send(.post, "/api/containers/\(other.id)/activity", headers: [.authorization: "Bearer \(otherToken)"]).status == .ok)
        // A wrong token is an anonymous request: it pays from the client's budget.
        let wrong = try await router.send(.post, "/api/containers/\(other.id)/activity", headers: [.authorization: "Bearer not-its-token"])
        #expect(wrong.status == .tooManyRequests)
    }

    @Test func wrongContainerTokensAreChargedToTheClient() async throws {
        let router = try DirectRouter(["PUBLIC_RATE_LIMIT_PER_MINUTE": "2"])
        let (record, _) = try await router.insertRunningContainer(bucket: "b-one")
        let wrong: HTTPFields = [.authorization: "Bearer not-its-token"]
        #expect(try await router.send(.post, "/api/containers/\(record.id)/activity", headers: wrong).status == .unauthorized)
        #expect(try await router.send(.post, "/api/containers/\(record.id)/activity", headers: wrong).status == .unauthorized)
        #expect(try await router.send(.post, "/api/containers/\(record.id)/activity", headers: wrong).status == .tooManyRequests)
        #expect(try await router.send(.get, "/live").status == .tooManyRequests, "the same budget as every anonymous request")
    }
}
