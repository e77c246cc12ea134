import Foundation
import Synchronization
@testable import IDEOrchestrator

/// Watches the real Swarm for two running containers whose agents hold one bucket. Every
/// tick it lists the tasks of every service of the instance it has ever seen (a removed
/// service's task runs on until its container stops) and asks each running one's dev agent
/// what it holds (`GET /assignment`, which a `/dev/lie-free` does not change).
final class BucketHolderWatch: Sendable {
    private let service: ServiceProcess
    private let state = Mutex<(serviceIds: [String: String], most: [String: Int], violations: [String])>(([:], [:], []))

    init(_ service: ServiceProcess) {
        self.service = service
    }

    /// The most containers seen holding each bucket at once.
    var most: [String: Int] { state.withLock { $0.most } }
    /// Every moment two containers held one bucket.
    var violations: [String] { state.withLock { $0.violations } }

    /// Runs `body` while watching every 100 ms.
    func during<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let watching = Task { while !Task.isCancelled { try? await tick(); try? await Task.sleep(for: .milliseconds(100)) } }
        defer { watching.cancel() }
        let result = try await body()
        try await tick()
        return result
    }

    func tick() async throws {
        let engine = try TestEnvironment.engine()
        for found in try await engine.services(labels: [ServiceBlueprint.instanceLabel: service.instance]) {
            if let id = found.spec.labels[ServiceBlueprint.idLabel] { state.withLock { $0.serviceIds[found.id] = id } }
        }
        let known = state.withLock { $0.serviceIds }
        var holders: [String: [String]] = [:]
        for task in try await engine.tasks(serviceID: nil, desiredState: nil) where task.isRunning {
            guard let id = known[task.serviceID], let containerID = task.status.containerStatus?.containerID,
                  let address = try? await engine.container(containerID).address(on: TestEnvironment.network),
                  let bucket = await Self.heldBucket(address: address, token: service.agentToken(for: id))
            else { continue }
            holders[bucket, default: []].append(id)
        }
        state.withLock { state in
            for (bucket, ids) in holders {
                state.most[bucket] = max(state.most[bucket] ?? 0, ids.count)
                if ids.count > 1 { state.violations.append("\(bucket) held at once by \(ids.sorted())") }
            }
        }
    }

    static func heldBucket(address: String, token: String?) async -> String? {
        let request = HTTPClientRequest(
            method: "GET", endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/assignment",
            headers: token.map { [(name: "Authorization", value: "Bearer \($0)")] } ?? [], timeout: .seconds(2)
        )
        guard let response = try? await CurlHTTPClient().execute(request), response.status == 200,
              let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else { return nil }
        return json["bucket"] as? String
    }
}
