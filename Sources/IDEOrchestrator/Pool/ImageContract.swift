/// What an IDE image declares of itself in its labels (docs/agent-contract.md): where its agent
/// listens and which routes keep their path prefix. Read from the image inspect the launcher
/// already makes to pin the image; an image without the labels gets today's behaviour (agent on
/// 3000, every route stripped of its prefix).
public struct ImageContract: Sendable, Equatable {
    /// Label naming the contract version the image implements.
    public static let versionLabel = "ide-orchestrator.contract-version"
    /// Label naming the agent's port.
    public static let agentPortLabel = "ide-orchestrator.agent-port"
    /// The agent's port of an image that does not say.
    public static let defaultAgentPort = 3000

    /// The label saying whether route `name` (`code`, `vnc`, `web`) keeps its prefix.
    public static func keepPrefixLabel(_ name: String) -> String { "ide-orchestrator.route.\(name).keep-prefix" }

    /// The port the agent answers on; never routed.
    public var agentPort: Int
    /// The routes whose requests reach the container with their `/<route>/<id>` prefix.
    public var keepPrefix: Set<String>

    /// The contract of an image without labels.
    public static let legacy = ImageContract(agentPort: defaultAgentPort, keepPrefix: [])

    /// Creates a contract.
    public init(agentPort: Int, keepPrefix: Set<String>) {
        self.agentPort = agentPort
        self.keepPrefix = keepPrefix
    }

    /// The contract `labels` declare. The image is not trusted to be well formed: a label that
    /// does not parse is ignored, as if absent.
    public init(labels: [String: String]?) {
        let labels = labels ?? [:]
        var port = Self.defaultAgentPort
        if let text = labels[Self.agentPortLabel]?.trimmingCharacters(in: .whitespaces), let value = Int(text), (1...65535).contains(value) {
            port = value
        }
        let kept = RoutePlan.routes.map(\.name).filter { labels[Self.keepPrefixLabel($0)]?.trimmingCharacters(in: .whitespaces).lowercased() == "true" }
        self.init(agentPort: port, keepPrefix: Set(kept))
    }

    /// The contract of `image`.
    public init(image: DockerImage) {
        self.init(labels: image.config?.labels)
    }
}
