import Foundation
import Testing
@testable import IDEOrchestrator

/// The Dockerfile, the compose files and the deploy scripts' checks of their prerequisites.
@Suite struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Settings that reach the service as Docker secrets, never as environment entries.
    static let secretSettings: Set<String> = ["API_KEY", "API_KEYS", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    func text(_ file: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
    }

    /// Names of the orchestrator's environment entries in the compose file.
    func composeEnvironment() throws -> Set<String> {
        let lines = try text("docker-compose.http.yml").split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "    environment:" }) else { return [] }
        var names: Set<String> = []
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("      ") else { break }
            let entry = line.trimmingCharacters(in: .whitespaces)
            if entry.hasPrefix("#") { continue }
            if let colon = entry.firstIndex(of: ":") { names.insert(String(entry[..<colon])) }
        }
        return names
    }

    @Test func composePassesEverySettingExceptSecretsThroughTheEnvironment() throws {
        let environment = try composeEnvironment()
        for key in SettingKey.all where !Self.secretSettings.contains(key.name) {
            #expect(environment.contains(key.name), "\(key.name) is not passed to the service")
        }
        for name in Self.secretSettings {
            #expect(!environment.contains(name), "\(name) must arrive as a Docker secret, not in the environment")
        }
        #expect(try text("docker-compose.http.yml").contains("API_KEY_FILE: /run/secrets/api_key"))
    }

    @Test func composeRunsTraefikV3WithTheSwarmProviderOnAHostPort() throws {
        let compose = try text("docker-compose.http.yml")
        for needle in [
            "--providers.swarm.endpoint=unix:///var/run/docker.sock", "--providers.swarm.exposedByDefault=false",
            "--providers.swarm.network=${SWARM_NETWORK:-ide-network}", "published: ${HTTP_PORT:-80}", "mode: host",
            "node.role == manager", "image: ${TRAEFIK_IMAGE:-", "image: ${ORCHESTRATOR_IMAGE:-",
            "IDE_CONTAINER_IMAGE: ${IDE_CONTAINER_IMAGE:-", "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
            "loadbalancer.server.port: ${PORT:-3001}", "- data:/data", "external: true",
        ] {
            #expect(compose.contains(needle), "docker-compose.http.yml lacks \(needle)")
        }
        #expect(!compose.lowercased().contains("swarmmode"), "the v2 swarmMode flag does not start in Traefik v3")
    }

    /// Issue 23, item 8: Traefik reaches the API over a network only it and the service join,
    /// and exactly that network's subnet is trusted to name the client in X-Forwarded-For.
    @Test func composeTrustsOnlyTraefiksOwnNetworkForForwardedAddresses() throws {
        let http = try text("docker-compose.http.yml")
        let subnet = "${PROXY_SUBNET:-10.231.0.0/24}"
        #expect(http.contains("TRUSTED_PROXIES: \(subnet)\n"), "the service trusts the proxy network's subnet")
        #expect(http.contains("  proxy:\n    name: ${PROXY_NETWORK:-ide-proxy}\n    driver: overlay\n    ipam:\n      config:\n        - subnet: \(subnet)\n"))
        #expect(http.components(separatedBy: "    networks:\n      - ide\n      - proxy\n").count == 3, "Traefik and the service both join the proxy network")
        #expect(http.contains("traefik.swarm.network: ${PROXY_NETWORK:-ide-proxy}"), "Traefik reaches the service over the proxy network")
        #expect(!http.contains("TRUSTED_PROXIES: ${SWARM_NETWORK"), "the IDE network, where every tenant is, is never trusted")
        let constraint = "--providers.swarm.constraints=Label(`traefik.swarm.network`,`${SWARM_NETWORK:-ide-network}`) || Label(`traefik.swarm.network`,`${PROXY_NETWORK:-ide-proxy}`)"
        for file in ["docker-compose.http.yml", "docker-compose.https.yml"] {
            #expect(try text(file).contains(constraint), "\(file) routes only this stack's networks")
        }
        #expect(try text("scripts/deploy-http.sh").contains(#"export PROXY_NETWORK="${PROXY_NETWORK:-$STACK-proxy}""#))
    }

    @Test func dockerfileBuildsInSwiftAndRunsSlimWithHealthCheckVolumeAndNoSecret() throws {
        let dockerfile = try text("Dockerfile")
        for needle in ["ARG SWIFT_IMAGE=swift:6.3", "AS build", "FROM ${RUNTIME_IMAGE}", "COPY --from=build", "COPY Public",
                       "libcurl4", "libsqlite3-0", "HEALTHCHECK", "/live", "VOLUME /data", "USER ide"] {
            #expect(dockerfile.contains(needle), "Dockerfile lacks \(needle)")
        }
        for secret in Self.secretSettings { #expect(!dockerfile.contains("\(secret)="), "Dockerfile bakes in \(secret)") }
    }

    struct ScriptRun {
        var status: Int32
        var stderr: String
    }

    /// Runs a deploy script with only `environment` and no reachable engine.
    func run(_ script: String, _ arguments: [String] = [], environment: [String: String]) throws -> ScriptRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent(script).path] + arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "DOCKER_HOST": "unix:///nonexistent/docker.sock"]
            .merging(environment) { _, new in new }
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ScriptRun(status: process.terminationStatus, stderr: String(decoding: output, as: UTF8.self))
    }

    @Test(arguments: ["localhost", "10.0.0.7", "not a domain", "single-label"])
    func httpsDeployRefusesADomainThatIsNotADomainName(domain: String) throws {
        let result = try run("scripts/deploy-traefik.sh", ["--check"], environment: ["DOMAIN": domain, "ACME_EMAIL": "ops@example.com", "API_KEY": "k"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("DOMAIN=\(domain)"))
    }

    @Test func httpsDeployRequiresDomainAndAcmeEmail() throws {
        let none = try run("scripts/deploy-traefik.sh", environment: ["API_KEY": "k"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("- DOMAIN"))
        #expect(none.stderr.contains("- ACME_EMAIL"))
        let badEmail = try run("scripts/deploy-traefik.sh", environment: ["DOMAIN": "ide.example.com", "ACME_EMAIL": "nobody", "API_KEY": "k"])
        #expect(badEmail.status != 0)
        #expect(badEmail.stderr.contains("ACME_EMAIL=nobody is not an e-mail address"))
    }

    @Test func httpsDeployWithGoodArgumentsGoesOnToTheCommonChecks() throws {
        let result = try run("scripts/deploy-traefik.sh", ["--check"], environment: ["DOMAIN": "ide.example.com", "ACME_EMAIL": "ops@example.com"])
        #expect(result.status != 0)
        #expect(!result.stderr.contains("DOMAIN"))
        #expect(result.stderr.contains("API_KEY (or API_KEYS)"))
        #expect(result.stderr.contains("a Docker engine answering at unix:///nonexistent/docker.sock"))
    }

    @Test func httpDeployNamesEveryMissingPrerequisite() throws {
        let result = try run("scripts/deploy-http.sh", ["--check"], environment: ["DOMAIN": "ide.example.com", "HTTP_PORT": "eighty", "S3_ENDPOINT": "http://127.0.0.1:9"])
        #expect(result.status != 0)
        for needle in ["API_KEY (or API_KEYS)", "scripts/deploy-traefik.sh", "HTTP_PORT 'eighty'", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "a Docker engine answering"] {
            #expect(result.stderr.contains(needle), "deploy-http.sh did not name \(needle): \(result.stderr)")
        }
    }
}
