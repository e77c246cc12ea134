import Foundation
import Testing
@testable import IDEOrchestrator

/// Traefik labels, public URLs, the Swarm service spec and the ids they are built from.
@Suite struct RoutePlanTests {
    static let id = "abc123def456ghi7"
    static let ports = ["code": "8080", "vnc": "6080", "web": "3000"]

    func settings(_ extra: [String: String] = [:]) throws -> Settings {
        try Settings(environment: ["API_KEY": "k"].merging(extra) { _, new in new })
    }

    /// The labels a plan must produce, written out independently of `RoutePlan`.
    func expectedLabels(id: String, network: String, publicDomain: String?, resolver: String?) -> [String: String] {
        var labels = ["traefik.enable": "true", "traefik.swarm.network": network]
        for (route, port) in Self.ports {
            let name = "ide-\(id)-\(route)"
            let router = "traefik.http.routers.\(name)"
            let prefix = "/\(route)/\(id)"
            if let publicDomain {
                labels["\(router).rule"] = "Host(`\(publicDomain)`) && PathPrefix(`\(prefix)`)"
                labels["\(router).entrypoints"] = "websecure"
                labels["\(router).tls.certresolver"] = resolver
            } else {
                labels["\(router).rule"] = "PathPrefix(`\(prefix)`)"
                labels["\(router).entrypoints"] = "web"
            }
            labels["\(router).service"] = name
            // forwardAuth first (it sees the original path), then the headers, then the strip.
            labels["\(router).middlewares"] = "\(name)-auth,\(name)-headers,\(name)-strip"
            labels["traefik.http.services.\(name).loadbalancer.server.port"] = port
            labels["traefik.http.middlewares.\(name)-auth.forwardauth.address"] = "http://127.0.0.1:3002/check/\(route)/\(id)"
            labels["traefik.http.middlewares.\(name)-auth.forwardauth.trustForwardHeader"] = "false"
            labels["traefik.http.middlewares.\(name)-headers.headers.customrequestheaders.X-IDE-Route-Probe"] = ""
            labels["traefik.http.middlewares.\(name)-headers.headers.customresponseheaders.Service-Worker-Allowed"] = ""
            labels["traefik.http.middlewares.\(name)-strip.stripprefix.prefixes"] = prefix
        }
        return labels
    }

    // MARK: - Labels

    @Test(arguments: ["localhost", "10.1.2.3", "127.0.0.1"])
    func localDomainRoutesByPathOnlyOverPlainHTTP(domain: String) throws {
        let plan = RoutePlan(settings: try settings(["DOMAIN": domain, "SWARM_NETWORK": "my-net"]))
        let labels = plan.traefikLabels(for: Self.id)
        #expect(labels == expectedLabels(id: Self.id, network: "my-net", publicDomain: nil, resolver: nil))
        #expect(!labels.keys.contains { $0.hasSuffix(".tls.certresolver") })
        #expect(!labels.values.contains { $0.contains("Host(") })
        #expect(labels["traefik.http.routers.ide-\(Self.id)-code.rule"] == "PathPrefix(`/code/\(Self.id)`)")
    }

    @Test func publicDomainRoutesByHostAndPathOverTLS() throws {
        let plan = RoutePlan(settings: try settings(["DOMAIN": "ide.example.com", "TRAEFIK_CERT_RESOLVER": "myresolver", "SWARM_NETWORK": "overlay-1", "ROUTE_MODE": "path"]))
        let labels = plan.traefikLabels(for: Self.id)
        #expect(labels == expectedLabels(id: Self.id, network: "overlay-1", publicDomain: "ide.example.com", resolver: "myresolver"))
        #expect(labels["traefik.http.routers.ide-\(Self.id)-code.rule"] == "Host(`ide.example.com`) && PathPrefix(`/code/\(Self.id)`)")
        #expect(labels["traefik.http.routers.ide-\(Self.id)-vnc.tls.certresolver"] == "myresolver")
    }

    @Test func everyRouteHasItsOwnPortAndPrefix() throws {
        let labels = RoutePlan(domain: "localhost", isPublic: false, certResolver: "le", network: "n").traefikLabels(for: Self.id)
        #expect(labels["traefik.http.services.ide-\(Self.id)-code.loadbalancer.server.port"] == "8080")
        #expect(labels["traefik.http.services.ide-\(Self.id)-vnc.loadbalancer.server.port"] == "6080")
        #expect(labels["traefik.http.services.ide-\(Self.id)-web.loadbalancer.server.port"] == "3000")
        #expect(labels["traefik.http.middlewares.ide-\(Self.id)-code-strip.stripprefix.prefixes"] == "/code/\(Self.id)")
        #expect(labels["traefik.http.middlewares.ide-\(Self.id)-vnc-strip.stripprefix.prefixes"] == "/vnc/\(Self.id)")
        #expect(labels["traefik.http.middlewares.ide-\(Self.id)-web-strip.stripprefix.prefixes"] == "/web/\(Self.id)")
        // Path mode strips Service-Worker-Allowed even with open routes.
        #expect(labels["traefik.http.middlewares.ide-\(Self.id)-web-headers.headers.customresponseheaders.Service-Worker-Allowed"] == "")
        #expect(labels.count == 2 + 3 * 7)
    }

    // MARK: - URLs

    @Test func localDomainURLsUseHTTP() throws {
        let urls = RoutePlan(settings: try settings()).urls(for: Self.id)
        #expect(urls == ContainerURLs(codeServer: "http://localhost/code/\(Self.id)/", vnc: "http://localhost/vnc/\(Self.id)/", webServer: "http://localhost/web/\(Self.id)/"))
    }

    @Test func ipDomainURLsUseHTTP() throws {
        let urls = RoutePlan(settings: try settings(["DOMAIN": "10.1.2.3"])).urls(for: Self.id)
        #expect(urls.codeServer == "http://10.1.2.3/code/\(Self.id)/")
    }

    @Test func publicDomainURLsUseHTTPS() throws {
        let urls = RoutePlan(settings: try settings(["DOMAIN": "ide.example.com", "ROUTE_MODE": "path"])).urls(for: Self.id)
        #expect(urls == ContainerURLs(codeServer: "https://ide.example.com/code/\(Self.id)/", vnc: "https://ide.example.com/vnc/\(Self.id)/", webServer: "https://ide.example.com/web/\(Self.id)/"))
    }

    @Test func localURLsCarryTraefiksPortUnlessItIs80() throws {
        let other = RoutePlan(settings: try settings(["HTTP_PORT": "8081"])).urls(for: Self.id)
        #expect(other == ContainerURLs(codeServer: "http://localhost:8081/code/\(Self.id)/", vnc: "http://localhost:8081/vnc/\(Self.id)/", webServer: "http://localhost:8081/web/\(Self.id)/"))
        #expect(RoutePlan(settings: try settings(["HTTP_PORT": "80", "DOMAIN": "10.1.2.3"])).urls(for: Self.id).codeServer == "http://10.1.2.3/code/\(Self.id)/")
    }

    @Test func publicDomainURLsIgnoreTheHTTPPort() throws {
        let urls = RoutePlan(settings: try settings(["DOMAIN": "ide.example.com", "HTTP_PORT": "8081"])).urls(for: Self.id)
        #expect(urls.codeServer == "https://code-\(Self.id).ide.example.com/")
    }

    @Test func traefikRoutesOverItsOwnNetworkWhenOneIsSet() throws {
        let settings = try settings(["SWARM_NETWORK": "host-bridge", "TRAEFIK_NETWORK": "traefik-overlay"])
        #expect(RoutePlan(settings: settings).traefikLabels(for: Self.id)["traefik.swarm.network"] == "traefik-overlay")
        let spec = ServiceBlueprint(settings: settings).spec(for: Self.id, pooled: true)
        #expect(spec.taskTemplate.networks == [.init(target: "host-bridge"), .init(target: "traefik-overlay")])
    }

    // MARK: - Service spec

    @Test func serviceSpecCarriesNameLabelsEnvLimitsRestartAndNetwork() throws {
        let settings = try settings([
            "CONTAINER_CPU_LIMIT": "1.5", "CONTAINER_MEMORY_LIMIT": "512MB", "CONTAINER_RESTART_MAX_ATTEMPTS": "5",
            "SWARM_NETWORK": "ide-net-x", "INSTANCE_NAME": "deploy-a", "IDE_CONTAINER_IMAGE": "ide:test",
        ])
        let spec = ServiceBlueprint(settings: settings).spec(for: Self.id, pooled: true)
        #expect(spec.name == "ide-\(Self.id)")
        #expect(spec.labels[ServiceBlueprint.managedLabel] == "true")
        #expect(spec.labels[ServiceBlueprint.idLabel] == Self.id)
        #expect(spec.labels[ServiceBlueprint.instanceLabel] == "deploy-a")
        #expect(spec.labels[ServiceBlueprint.pooledLabel] == "true")
        for (key, value) in RoutePlan(settings: settings).traefikLabels(for: Self.id) {
            #expect(spec.labels[key] == value, "Traefik label \(key) missing from the service")
        }
        let container = spec.taskTemplate.containerSpec
        #expect(container.image == "ide:test")
        #expect(container.env?.contains("CODE_BASE_PATH=/code/\(Self.id)") == true)
        #expect(container.env?.contains("VNC_BASE_PATH=/vnc/\(Self.id)") == true)
        #expect(container.labels?[ServiceBlueprint.managedLabel] == "true")
        #expect(container.labels?[ServiceBlueprint.idLabel] == Self.id)
        #expect(spec.taskTemplate.resources?.limits?.nanoCPUs == 1_500_000_000)
        #expect(spec.taskTemplate.resources?.limits?.memoryBytes == 536_870_912)
        #expect(spec.taskTemplate.restartPolicy?.condition == "on-failure")
        #expect(spec.taskTemplate.restartPolicy?.maxAttempts == 5)
        #expect(spec.taskTemplate.networks == [.init(target: "ide-net-x")])
    }

    @Test func coldStartSpecIsLabelledNotPooled() throws {
        let spec = ServiceBlueprint(settings: try settings()).spec(for: Self.id, pooled: false)
        #expect(spec.labels[ServiceBlueprint.pooledLabel] == "false")
    }

    @Test func serviceSpecEncodesWithDockerFieldNames() throws {
        let spec = ServiceBlueprint(settings: try settings(["CONTAINER_CPU_LIMIT": "1.5"])).spec(for: Self.id, pooled: true)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any])
        let template = try #require(json["TaskTemplate"] as? [String: Any])
        let limits = try #require((template["Resources"] as? [String: Any])?["Limits"] as? [String: Any])
        #expect(limits["NanoCPUs"] as? Int == 1_500_000_000)
        #expect((template["RestartPolicy"] as? [String: Any])?["Condition"] as? String == "on-failure")
        #expect(json["Name"] as? String == "ide-\(Self.id)")
    }

    @Test func serviceSpecContainsNoSecret() throws {
        let settings = try settings([
            "API_KEY": "apikey-supersecret-1,apikey-supersecret-2",
            "S3_ENDPOINT": "http://127.0.0.1:9000", "S3_ACCESS_KEY_ID": "AKIDsupersecret", "S3_SECRET_ACCESS_KEY": "supersecret",
        ])
        for pooled in [true, false] {
            let spec = ServiceBlueprint(settings: settings).spec(for: Self.id, pooled: pooled)
            let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
            #expect(!json.contains("supersecret"))
            #expect(!json.contains("AKID"))
            for value in spec.labels.values { #expect(!value.contains("supersecret")) }
            for entry in spec.taskTemplate.containerSpec.env ?? [] { #expect(!entry.contains("supersecret")) }
        }
    }

    // MARK: - Container ids

    @Test func generatedIdsAreSixteenLowercaseAlphanumerics() {
        let alphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        for _ in 0..<1000 {
            let id = ContainerID.generate()
            #expect(id.count == 16)
            #expect(id.allSatisfy(alphabet.contains))
            #expect(ContainerID.isWellFormed(id))
        }
    }

    @Test func thousandGeneratedIdsAreDistinct() {
        let ids = (0..<1000).map { _ in ContainerID.generate() }
        #expect(Set(ids).count == 1000)
    }

    @Test(arguments: ["", "short", "ABCDEFGHIJKLMNOP", "abc/def/ghi/jkl", "abcdefghijkl mno", "abcdefgh`) || x", "äbcdefghijklmnop", String(repeating: "a", count: 65)])
    func malformedIdsAreRejected(_ text: String) {
        #expect(!ContainerID.isWellFormed(text))
    }
}
