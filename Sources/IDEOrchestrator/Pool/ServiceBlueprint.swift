/// Turns settings and a container id into the Swarm service spec of an IDE container.
///
/// Credentials never appear here: they reach the container only through its agent.
public struct ServiceBlueprint: Sendable {
    /// Label marking services this orchestrator owns.
    public static let managedLabel = "ide-orchestrator.managed"
    /// Label carrying the container id.
    public static let idLabel = "ide-orchestrator.id"
    /// Label naming the deployment that owns the service.
    public static let instanceLabel = "ide-orchestrator.instance"
    /// Label saying whether the service was made for the warm pool.
    public static let pooledLabel = "ide-orchestrator.pooled"
    /// Label carrying the agent's port, when the image declares one other than 3000.
    public static let agentPortLabel = ImageContract.agentPortLabel

    /// The agent port a service's `labels` carry (3000 when they carry none).
    public static func agentPort(of labels: [String: String]?) -> Int {
        labels?[agentPortLabel].flatMap { Int($0) }.flatMap { (1...65535).contains($0) ? $0 : nil } ?? ImageContract.defaultAgentPort
    }
    /// Capabilities an IDE container never needs (docs/security.md): raw sockets (ARP and
    /// ICMP spoofing of neighbours on the shared network), device nodes, the audit log,
    /// file capabilities, chroot, and ports below 1024 (the IDE listens on 8080, 6080, 3000).
    public static let droppedCapabilities = ["CAP_NET_RAW", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP", "CAP_SYS_CHROOT", "CAP_NET_BIND_SERVICE"]

    let instance: String
    let image: String
    let pinImage: Bool
    let cpuLimit: Double
    let memoryLimitBytes: Int64
    let pidsLimit: Int
    let networks: [String]
    let restartCondition: String
    let restartMaxAttempts: Int
    let routes: RoutePlan
    let stopGracePeriodNanos: Int64

    /// Creates a blueprint from the settings.
    public init(settings: Settings) {
        instance = settings.instanceName
        image = settings.ideImage
        pinImage = settings.pinImage
        cpuLimit = settings.containerCPULimit
        memoryLimitBytes = settings.containerMemoryLimit
        pidsLimit = settings.containerPidsLimit
        // Traefik's network is joined too when it differs: the host reaches only the one, Traefik only the other.
        networks = settings.traefikNetwork == settings.swarmNetwork ? [settings.swarmNetwork] : [settings.swarmNetwork, settings.traefikNetwork]
        restartCondition = settings.restartCondition
        restartMaxAttempts = settings.restartMaxAttempts
        routes = RoutePlan(settings: settings)
        // The agent flushes on SIGTERM too: Swarm waits for it longer than a stop waits for /flush.
        let grace = settings.workspace.flushTimeout + .seconds(15)
        stopGracePeriodNanos = grace.components.seconds * 1_000_000_000 + grace.components.attoseconds / 1_000_000_000
    }

    /// How the spec names the image, given what the engine holds under `IDE_CONTAINER_IMAGE`:
    /// pinned (`PinnedImage`) unless `IDE_CONTAINER_IMAGE_PINNED` is false.
    public func imageReference(holding held: DockerImage, swarmNodes: () async throws -> Int) async rethrows -> String {
        pinImage ? try await PinnedImage.reference(for: image, holding: held, swarmNodes: swarmNodes) : image
    }

    /// The spec of container `id`, with its agent-token secret when agents get tokens, running
    /// `imageReference` (by default `IDE_CONTAINER_IMAGE` as written) whose labels declared `contract`.
    /// Never privileged, no mounts (no engine socket), fewer capabilities than Docker's default,
    /// and at most `CONTAINER_PIDS_LIMIT` processes.
    public func spec(
        for id: String, pooled: Bool, agentSecret: ServiceSpec.SecretReference? = nil, imageReference: String? = nil, contract: ImageContract = .legacy
    ) -> ServiceSpec {
        var labels = routes.traefikLabels(for: id, keepingPrefix: contract.keepPrefix)
        if contract.agentPort != ImageContract.defaultAgentPort { labels[Self.agentPortLabel] = String(contract.agentPort) }
        labels[Self.managedLabel] = "true"
        labels[Self.idLabel] = id
        labels[Self.pooledLabel] = String(pooled)
        labels[Self.instanceLabel] = instance
        return ServiceSpec(
            name: "ide-\(id)",
            labels: labels,
            taskTemplate: .init(
                containerSpec: .init(
                    image: imageReference ?? image,
                    env: ["CODE_BASE_PATH=/code/\(id)", "VNC_BASE_PATH=/vnc/\(id)", "WEB_BASE_PATH=/web/\(id)", "IDE_CONTAINER_ID=\(id)"],
                    labels: [Self.managedLabel: "true", Self.idLabel: id, Self.instanceLabel: instance],
                    stopGracePeriod: stopGracePeriodNanos,
                    secrets: agentSecret.map { [$0] },
                    capabilityDrop: Self.droppedCapabilities
                ),
                resources: .init(limits: .init(
                    nanoCPUs: Int64((cpuLimit * 1_000_000_000).rounded()), memoryBytes: memoryLimitBytes, pids: pidsLimit == 0 ? nil : Int64(pidsLimit)
                )),
                // Swarm reads MaxAttempts 0 as "unlimited": no restarts at all is condition none.
                restartPolicy: restartMaxAttempts == 0 || restartCondition == "none"
                    ? .init(condition: "none")
                    : .init(condition: restartCondition, delay: 1_000_000_000, maxAttempts: restartMaxAttempts, window: 60_000_000_000),
                networks: networks.map { .init(target: $0) }
            )
        )
    }
}
