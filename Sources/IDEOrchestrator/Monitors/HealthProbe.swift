import Foundation

/// Checks one container directly at its task address: the agent's health endpoint (on the
/// image's agent port) and the code, vnc and web ports (8080, 6080, 3000; when the agent is
/// elsewhere, 3000 is probed as the plain web port it then is).
public protocol HealthProbe: Sendable {
    /// Per-port results and what the agent of container `containerId`, on `agentPort`, says of itself.
    func check(address: String, agentPort: Int, containerId: String) async -> ProbeReport
}

/// One container's probe results.
public struct ProbeReport: Sendable, Equatable {
    /// `agent`, `code`, `vnc`, `web`: whether each answered.
    public var ports: [String: Bool]
    /// The agent's answer, when it answered healthy.
    public var agent: AgentHealth?

    /// Creates a report.
    public init(ports: [String: Bool], agent: AgentHealth?) {
        self.ports = ports
        self.agent = agent
    }

    /// Whether the agent answered: the container is reachable from here.
    public var agentAnswered: Bool { ports["agent"] == true }
}

/// The `HealthProbe` over HTTP. A container is untrusted: at most a few KiB of any answer
/// are read (a longer answer still shows the port is up).
public struct HTTPHealthProbe: HealthProbe {
    static let maxPortAnswerBytes = 4 * 1024

    let http: any HTTPClient
    let agent: any AgentClient
    let timeout: Duration
    let connectTimeout: Duration

    /// Creates a probe; it asks `agent` (by default an `HTTPAgentClient` over `http`, without
    /// agent tokens) for the agent's health.
    public init(http: any HTTPClient = CurlHTTPClient(), agent: (any AgentClient)? = nil, timeout: Duration, connectTimeout: Duration = .seconds(1)) {
        self.http = http
        self.agent = agent ?? HTTPAgentClient(http: http, timeout: timeout, connectTimeout: connectTimeout)
        self.timeout = timeout
        self.connectTimeout = min(connectTimeout, timeout)
    }

    public func check(address: String, agentPort: Int, containerId: String) async -> ProbeReport {
        async let agent = agent.health(address: address, port: agentPort, containerId: containerId)
        async let code = answers(address, port: 8080)
        async let vnc = answers(address, port: 6080)
        async let web = answers(address, port: 3000)
        let health = await agent
        return await ProbeReport(ports: ["agent": health != nil, "code": code, "vnc": vnc, "web": web], agent: health)
    }

    private func answers(_ address: String, port: Int) async -> Bool {
        let request = HTTPClientRequest(
            endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: "/", headers: [(name: "X-IDE-Health-Probe", value: "1")],
            timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxPortAnswerBytes
        )
        do {
            return try await http.execute(request).status < 500
        } catch let error as HTTPClientError where error.kind == .responseTooLarge {
            return true
        } catch {
            return false
        }
    }
}
