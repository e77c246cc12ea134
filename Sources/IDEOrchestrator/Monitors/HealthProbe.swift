import Foundation

/// Checks one container directly at its task address: the agent's health endpoint and
/// the code, vnc and web ports.
public protocol HealthProbe: Sendable {
    /// Per-port results: `agent`, `code`, `vnc`, `web`.
    func check(address: String) async -> [String: Bool]
}

/// The `HealthProbe` over HTTP.
public struct HTTPHealthProbe: HealthProbe {
    let http: any HTTPClient
    let agent: any AgentClient
    let timeout: Duration

    /// Creates a probe; it asks `agent` (by default an `HTTPAgentClient` over `http`) for the agent's health.
    public init(http: any HTTPClient = CurlHTTPClient(), agent: (any AgentClient)? = nil, timeout: Duration) {
        self.http = http
        self.agent = agent ?? HTTPAgentClient(http: http, timeout: timeout)
        self.timeout = timeout
    }

    public func check(address: String) async -> [String: Bool] {
        async let agent = agent.isHealthy(address: address)
        async let code = answers(address, port: 8080, path: "/") { $0 < 500 }
        async let vnc = answers(address, port: 6080, path: "/") { $0 < 500 }
        async let web = answers(address, port: 3000, path: "/") { $0 < 500 }
        return await ["agent": agent, "code": code, "vnc": vnc, "web": web]
    }

    private func answers(_ address: String, port: Int, path: String, accept: (Int) -> Bool) async -> Bool {
        let request = HTTPClientRequest(endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: path, timeout: timeout, connectTimeout: timeout)
        guard let response = try? await http.execute(request) else { return false }
        return accept(response.status)
    }
}
