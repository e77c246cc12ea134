import Foundation
import Testing
@testable import IDEOrchestrator

/// Raw Engine API calls for tests that look at what the engine holds, byte for byte: what
/// `docker service inspect`, `docker secret inspect`, `docker service logs` and
/// `docker exec` show.
enum EngineRaw {
    /// The body of `GET /v1.41<path>` as text (log streams keep their frame headers).
    static func get(_ path: String) async throws -> String {
        let response = try await CurlHTTPClient().execute(HTTPClientRequest(endpoint: try TestEnvironment.endpoint(), path: "/v1.41\(path)", timeout: .seconds(20)))
        #expect(response.isSuccess, "GET \(path) answered \(response.status)")
        return String(decoding: response.body, as: UTF8.self)
    }

    /// What `docker exec <container> <command...>` prints on stdout.
    static func exec(_ containerId: String, _ command: [String]) async throws -> String {
        let endpoint = try TestEnvironment.endpoint()
        let http = CurlHTTPClient()
        let create = try JSONSerialization.data(withJSONObject: ["AttachStdout": true, "AttachStderr": true, "Cmd": command])
        let created = try await http.execute(HTTPClientRequest(
            method: "POST", endpoint: endpoint, path: "/v1.41/containers/\(containerId)/exec",
            headers: [(name: "Content-Type", value: "application/json")], body: create, timeout: .seconds(10)
        ))
        let execId = try #require((try JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["Id"] as? String, "exec create: \(created.status)")
        let started = try await http.execute(HTTPClientRequest(
            method: "POST", endpoint: endpoint, path: "/v1.41/exec/\(execId)/start",
            headers: [(name: "Content-Type", value: "application/json")], body: Data(#"{"Detach":false,"Tty":false}"#.utf8), timeout: .seconds(10)
        ))
        return String(decoding: demultiplex(started.body, stream: 1), as: UTF8.self)
    }

    /// The payload of one stream (1 stdout, 2 stderr) of Docker's multiplexed format.
    static func demultiplex(_ data: Data, stream: UInt8) -> Data {
        var bytes = [UInt8](data)[...]
        var out = Data()
        while bytes.count >= 8 {
            let header = Array(bytes.prefix(8))
            let length = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
            bytes = bytes.dropFirst(8)
            if header[0] == stream { out.append(contentsOf: bytes.prefix(length)) }
            bytes = bytes.dropFirst(length)
        }
        return out
    }

    /// The ids of the containers of every running task of the instance's services.
    static func containerIds(of services: [DockerService]) async throws -> [String] {
        let engine = try TestEnvironment.engine()
        var ids: [String] = []
        for service in services {
            ids += try await engine.tasks(serviceID: service.id, desiredState: "running").compactMap { $0.status.containerStatus?.containerID }
        }
        return ids
    }

    /// The agent token inside container `containerId`, as `cat /run/secrets/ide-agent-token` shows it.
    static func agentToken(in containerId: String) async throws -> String {
        try await exec(containerId, ["cat", "/run/secrets/ide-agent-token"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
