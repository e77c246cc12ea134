/// Parses `DOCKER_HOST` into an HTTP endpoint.
public enum DockerEndpoint {
    /// Accepts `unix:///path/to/docker.sock`, `tcp://host:port` and `http://host:port`.
    public static func parse(_ value: String) -> HTTPEndpoint? {
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            return path.hasPrefix("/") ? .unixSocket(path: path) : nil
        }
        for scheme in ["tcp://", "http://"] where value.hasPrefix(scheme) {
            let authority = String(value.dropFirst(scheme.count)).trimmingSuffix("/")
            guard let colon = authority.lastIndex(of: ":"),
                  !authority[..<colon].isEmpty,
                  let port = Int(authority[authority.index(after: colon)...]),
                  (1...65535).contains(port)
            else { return nil }
            return .tcp(baseURL: "http://\(authority)")
        }
        return nil
    }
}

extension String {
    /// The string without one trailing occurrence of `suffix`.
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
