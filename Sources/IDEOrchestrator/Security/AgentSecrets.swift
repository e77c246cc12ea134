import Foundation
import Logging

/// The Swarm secret that carries an IDE container's agent token into it, at
/// `/run/secrets/ide-agent-token`. Named like the service (`ide-<id>-agent-token`) and
/// labelled like it, so the reconciler finds this instance's secrets and removes those
/// whose container is gone.
public struct AgentSecrets: Sendable {
    /// The file name under `/run/secrets` inside the container.
    public static let fileName = "ide-agent-token"

    let engine: any DockerEngine
    let tokens: AgentTokens
    let instance: String
    let logger: Logger

    /// Creates the secrets' keeper for this instance.
    public init(engine: any DockerEngine, tokens: AgentTokens, instance: String, logger: Logger) {
        self.engine = engine
        self.tokens = tokens
        self.instance = instance
        self.logger = logger
    }

    /// The secret's name for container `id`.
    public static func name(for containerId: String) -> String { "ide-\(containerId)-agent-token" }

    /// The labels every agent-token secret of this instance carries.
    func labels(for containerId: String) -> [String: String] {
        [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: containerId, ServiceBlueprint.instanceLabel: instance]
    }

    /// Creates container `id`'s secret, or reuses an existing one of that name that is ours
    /// (a launch run again); returns the reference for its service spec, or nil when agent
    /// tokens are disabled.
    public func ensure(for containerId: String) async throws -> ServiceSpec.SecretReference? {
        guard let token = tokens.token(for: containerId) else { return nil }
        let name = Self.name(for: containerId)
        let secretId: String
        do {
            secretId = try await engine.createSecret(SecretCreateRequest(name: name, labels: labels(for: containerId), data: Data(token.utf8)))
        } catch let error as DockerError where error.code == .conflict {
            let wanted = labels(for: containerId)
            let existing = try await engine.secrets(labels: wanted.mapValues { Optional($0) }).first { $0.spec.name == name && $0.spec.labels == wanted }
            guard let existing else { throw LaunchError(message: "a secret named \(name) exists and is not this instance's") }
            secretId = existing.id
        }
        return ServiceSpec.SecretReference(file: .init(name: Self.fileName, uid: "0", gid: "0", mode: 0o400), secretID: secretId, secretName: name)
    }

    /// Removes container `id`'s secret (only one with this instance's labels) after its
    /// service is gone; returns whether it is gone. Already gone counts as done; one still in
    /// use (its service is still being removed) is not, and is tried again by the caller or
    /// the reconciler.
    @discardableResult
    public func remove(for containerId: String) async -> Bool {
        // With tokens off nothing is made; secrets left from an earlier run go with the sweep.
        guard tokens.isEnabled else { return true }
        do {
            for secret in try await engine.secrets(labels: labels(for: containerId).mapValues { Optional($0) }) where secret.spec.name == Self.name(for: containerId) {
                try await engine.removeSecret(secret.id)
            }
            return true
        } catch let error as DockerError where error.code == .secretNotFound {
            return true
        } catch {
            logger.debug("Agent token secret not removed yet", metadata: ["container.id": "\(containerId)", "error": "\(error)"])
            return false
        }
    }

    /// Every agent-token secret of this instance.
    public func all() async throws -> [DockerSecret] {
        try await engine.secrets(labels: [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.instanceLabel: instance])
    }

    /// Removes a secret by id, treating "already gone" as success.
    public func remove(secretId: String) async {
        do {
            try await engine.removeSecret(secretId)
        } catch let error as DockerError where error.code == .secretNotFound {
        } catch {
            logger.warning("Orphaned agent token secret not removed", metadata: ["secret.id": "\(secretId)", "error": "\(error)"])
        }
    }
}
