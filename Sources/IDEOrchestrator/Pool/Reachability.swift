import Foundation

/// Whether what a start hands out answers: the IDE ports at the task address, and the public
/// routes through Traefik.
public protocol Reachability: Sendable {
    /// For `code`, `vnc` and `web`: whether the port answers at the task address.
    func idePorts(address: String) async -> [String: Bool]
    /// Whether Traefik routes all of `urls` to a live container (true when not checked).
    func routed(_ urls: ContainerURLs) async -> Bool
}

/// `Reachability` over HTTP. A port answers when it gives any status below 500; a route is
/// live when Traefik, asked at `TRAEFIK_PROBE_URL` with the public URL's host and path, answers
/// neither 404 (no router yet), nor a refusal of this service's check (the catch-all router of
/// unrouted IDE hosts and paths; the probe proves itself to a routed container's check with
/// `probeToken`), nor 5xx (no reachable server). Containers are untrusted: at most a few KiB of
/// an answer are read.
public struct HTTPReachability: Reachability {
    static let maxAnswerBytes = 4 * 1024

    let http: any HTTPClient
    let timeout: Duration
    let connectTimeout: Duration
    /// Traefik's internal URL (`TRAEFIK_PROBE_URL`); nil: routes are not checked.
    let traefik: String?
    /// The probe header's value for a public URL (`RouteAccess.probeToken(forURL:)`), when routes are checked.
    let probeToken: (@Sendable (String) -> String?)?

    /// Creates a checker.
    public init(
        http: any HTTPClient = CurlHTTPClient(), timeout: Duration, connectTimeout: Duration = .seconds(1), traefik: String?,
        probeToken: (@Sendable (String) -> String?)? = nil
    ) {
        self.http = http
        self.probeToken = probeToken
        self.timeout = timeout
        self.connectTimeout = min(connectTimeout, timeout)
        self.traefik = traefik.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    public func idePorts(address: String) async -> [String: Bool] {
        await withTaskGroup(of: (String, Bool).self) { group in
            for route in RoutePlan.routes {
                group.addTask {
                    let status = await status(base: "http://\(address):\(route.port)", path: "/", headers: [(name: "X-IDE-Health-Probe", value: "1")])
                    return (route.name, status.map { $0.status < 500 } ?? false)
                }
            }
            var ports: [String: Bool] = [:]
            for await (name, up) in group { ports[name] = up }
            return ports
        }
    }

    public func routed(_ urls: ContainerURLs) async -> Bool {
        guard let traefik else { return true }
        return await withTaskGroup(of: Bool.self) { group in
            for url in [urls.codeServer, urls.vnc, urls.webServer] {
                group.addTask {
                    guard let parts = URLComponents(string: url), let host = parts.host else { return false }
                    let hostHeader = parts.port.map { "\(host):\($0)" } ?? host
                    var headers = [(name: "Host", value: hostHeader)]
                    if let token = probeToken?(url) { headers.append((name: RoutePlan.probeHeader, value: token)) }
                    guard let answer = await status(base: traefik, path: parts.percentEncodedPath, headers: headers) else { return false }
                    return answer.status != 404 && answer.status < 500 && answer.headers[AccessCheckServer.deniedHeader] == nil
                }
            }
            return await group.allSatisfy { $0 }
        }
    }

    /// The status and headers of a GET, or nil when nothing answered. An answer too long to read still answered.
    private func status(base: String, path: String, headers: [(name: String, value: String)]) async -> (status: Int, headers: [String: String])? {
        let request = HTTPClientRequest(
            endpoint: .tcp(baseURL: base), path: path, headers: headers, timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxAnswerBytes
        )
        do {
            let response = try await http.execute(request)
            return (response.status, response.headers)
        } catch let error as HTTPClientError where error.kind == .responseTooLarge {
            return (200, [:])
        } catch {
            return nil
        }
    }
}
