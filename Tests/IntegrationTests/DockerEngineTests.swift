import Foundation
import Testing
@testable import IDEOrchestrator

@Suite(.enabled(if: TestEnvironment.enabled), .serialized)
struct DockerEngineTests {
    @Test func negotiatesTheEnginesAPIVersion() async throws {
        let engine = try TestEnvironment.engine()
        let version = try await engine.version()
        let negotiated = try await engine.apiVersion()
        #expect(negotiated == min(APIVersion(version.apiVersion)!, CurlDockerEngine.supportedAPIVersions.upperBound))
        try await engine.ping()
    }

    @Test func reportsSwarmNodesAndNetworks() async throws {
        let engine = try TestEnvironment.engine()
        let info = try await engine.info()
        #expect(info.swarm.localNodeState == "active")
        #expect(info.cpuCount > 0)
        _ = try await engine.swarm()
        let nodes = try await engine.nodes()
        #expect(nodes.contains { $0.status.state == "ready" && ($0.description.resources?.memoryBytes ?? 0) > 0 })
        let networks = try await engine.networks(named: TestEnvironment.network)
        #expect(networks.count == 1)
        #expect(networks.first?.scope == "swarm")
    }

    @Test func serviceLifecycleAgainstTheRealSwarm() async throws {
        let engine = try TestEnvironment.engine()
        let name = TestEnvironment.uniqueName("itest-svc")
        let events = try await engine.events(types: ["service"])
        nonisolated(unsafe) var eventIterator = events.makeAsyncIterator()

        let spec = ServiceSpec(
            name: name,
            labels: ["ide-orchestrator.test": "true", "stage": "one"],
            taskTemplate: .init(
                containerSpec: .init(image: TestEnvironment.image, stopGracePeriod: 1_000_000_000),
                resources: .init(limits: .init(nanoCPUs: 500_000_000, memoryBytes: 128 << 20)),
                restartPolicy: .init(condition: "on-failure", maxAttempts: 2),
                networks: [.init(target: TestEnvironment.network)]
            )
        )
        let id = try await engine.createService(spec)
        defer { Task { try? await engine.removeService(id) } }

        let created = try await engine.service(id)
        #expect(created.spec.name == name)
        #expect(created.spec.labels["stage"] == "one")
        #expect(created.spec.taskTemplate.resources?.limits == .init(nanoCPUs: 500_000_000, memoryBytes: 128 << 20))
        let listed = try await engine.services(labels: ["ide-orchestrator.test": "true", "stage": nil])
        #expect(listed.contains { $0.id == id })

        let event = try await withDeadline(.seconds(20), "a service create event") {
            while let next = try await eventIterator.next() {
                if next.actor.id == id || next.actor.attributes?["name"] == name { return next }
            }
            throw TimeoutError(what: "a service create event: the stream ended")
        }
        #expect(event.type == "service")

        let task = try await eventually("the task to run") {
            try await engine.tasks(serviceID: id, desiredState: "running").first(where: \.isRunning)
        }
        let containerID = try #require(task.status.containerStatus?.containerID)
        let container = try await engine.container(containerID)
        let address = try #require(container.address(on: TestEnvironment.network))

        let agent = CurlHTTPClient()
        let assign = HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/assign-s3-bucket",
            headers: [(name: "Content-Type", value: "application/json")],
            body: Data(#"{"bucket":"itest-bucket","region":"us-east-1","accessKeyId":"AK","secretAccessKey":"SK"}"#.utf8),
            timeout: .seconds(5)
        )
        let assigned = try await eventually(within: .seconds(20), "the agent to answer") { try await agent.execute(assign) }
        #expect(assigned.status == 200)
        #expect(String(decoding: assigned.body, as: UTF8.self).contains("success"))
        let readBack = try await agent.execute(HTTPClientRequest(endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/assignment"))
        #expect(String(decoding: readBack.body, as: UTF8.self).contains("itest-bucket"))

        var updated = created.spec
        updated.labels["stage"] = "two"
        try await engine.updateService(id, version: created.version, spec: updated)
        #expect(try await engine.service(id).spec.labels["stage"] == "two")

        try await engine.removeService(id)
        _ = try await eventually(within: .seconds(20), "the service to be gone") { () -> Bool? in
            do {
                _ = try await engine.service(id)
                return nil
            } catch let error as DockerError where error.code == .serviceNotFound {
                return true
            }
        }
    }

    /// Issue 23, item 10: the engine keeps `Resources.Limits.Pids` (API 1.41), the task's container
    /// gets it as `HostConfig.PidsLimit` and `pids.max`, and a fork bomb inside is refused forks.
    @Test func aPidsLimitCapsTheProcessesOfAnIDEContainer() async throws {
        let engine = try TestEnvironment.engine()
        let settings = try Settings(environment: [
            "API_KEY": "k", "IDE_CONTAINER_IMAGE": TestEnvironment.image, "IDE_CONTAINER_IMAGE_PINNED": "false", "SWARM_NETWORK": TestEnvironment.network,
            "INSTANCE_NAME": TestEnvironment.uniqueName("pids"), "CONTAINER_PIDS_LIMIT": "32", "CONTAINER_MEMORY_LIMIT": "128MB", "CONTAINER_CPU_LIMIT": "0.5",
        ])
        let spec = ServiceBlueprint(settings: settings).spec(for: ContainerID.generate(), pooled: true)
        let id = try await engine.createService(spec)
        defer { Task { try? await engine.removeService(id) } }
        #expect(try await engine.service(id).spec.taskTemplate.resources?.limits?.pids == 32, "the engine keeps Resources.Limits.Pids")
        let task = try await eventually("the task to run") {
            try await engine.tasks(serviceID: id, desiredState: "running").first(where: \.isRunning)
        }
        let containerID = try #require(task.status.containerStatus?.containerID)
        let inspected = try JSONSerialization.jsonObject(with: Data(try await EngineRaw.get("/containers/\(containerID)/json").utf8)) as? [String: Any]
        #expect((inspected?["HostConfig"] as? [String: Any])?["PidsLimit"] as? Int == 32)
        let max = try await EngineRaw.exec(containerID, ["sh", "-c", "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"])
        #expect(max.trimmingCharacters(in: .whitespacesAndNewlines) == "32")
        // 200 background processes: the kernel refuses forks past the limit. `read` and `echo`
        // are shell builtins, so the count is read without a fork.
        let bomb = try await EngineRaw.exec(containerID, ["sh", "-c", """
            exec 2>&1; i=0; while [ $i -lt 200 ]; do sleep 3 >/dev/null 2>&1 & i=$((i+1)); echo "started $i"; done
            read n < /sys/fs/cgroup/pids.current || read n < /sys/fs/cgroup/pids/pids.current; echo "current $n"
            """])
        #expect(bomb.contains("can't fork") || bomb.contains("Resource temporarily unavailable"), "the fork bomb ran unchecked: \(bomb.suffix(300))")
        let current = bomb.split(separator: "\n").compactMap { $0.hasPrefix("current ") ? Int($0.dropFirst(8)) : nil }
        #expect(current.allSatisfy { $0 <= 32 }, "\(current)")
    }

    @Test func missingImageIsItsOwnError() async throws {
        let engine = try TestEnvironment.engine()
        let error = await #expect(throws: DockerError.self) { try await engine.image("no-such-image-\(UUID().uuidString.lowercased()):latest") }
        #expect(error?.code == .imageNotFound)
        #expect(error?.message.isEmpty == false)
    }

    @Test func missingServiceIsItsOwnError() async throws {
        let engine = try TestEnvironment.engine()
        let inspect = await #expect(throws: DockerError.self) { try await engine.service("no-such-service-\(UUID().uuidString.prefix(8))") }
        #expect(inspect?.code == .serviceNotFound)
        let remove = await #expect(throws: DockerError.self) { try await engine.removeService("no-such-service-\(UUID().uuidString.prefix(8))") }
        #expect(remove?.code == .serviceNotFound)
    }

    @Test(arguments: [
        HTTPEndpoint.unixSocket(path: "/tmp/no-such-dir-\(UUID().uuidString)/docker.sock"),
        HTTPEndpoint.tcp(baseURL: "http://127.0.0.1:1"),
    ])
    func unreachableEngineFailsFastWithItsOwnError(endpoint: HTTPEndpoint) async throws {
        let engine = CurlDockerEngine(endpoint: endpoint)
        let started = ContinuousClock.now
        let error = await #expect(throws: DockerError.self) { try await engine.ping() }
        #expect(error?.code == .engineUnreachable)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
