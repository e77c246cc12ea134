/// A failure talking to the Docker engine, with the engine's own message when it gave one.
public struct DockerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, stable enough to branch on.
    public enum Code: String, Sendable, Hashable {
        /// The engine could not be reached at all (no socket, refused, timed out connecting).
        case engineUnreachable
        /// The engine took too long to answer.
        case timedOut
        /// The named image is not present on the engine.
        case imageNotFound
        /// No service with that id or name.
        case serviceNotFound
        /// No container with that id.
        case containerNotFound
        /// No network with that id or name.
        case networkNotFound
        /// No secret with that id or name.
        case secretNotFound
        /// No node with that id.
        case nodeNotFound
        /// No task with that id (Swarm deletes a removed service's tasks once they have ended).
        case taskNotFound
        /// The request conflicts with the engine's state (name in use, stale version).
        case conflict
        /// The engine rejected the request as malformed.
        case badRequest
        /// The engine is not a Swarm manager, or Swarm is not initialised.
        case notSwarmManager
        /// The engine speaks no API version this client supports.
        case unsupportedAPIVersion
        /// The engine answered something this client could not decode.
        case invalidResponse
        /// Any other engine-side error.
        case engineError
    }

    /// What went wrong.
    public var code: Code
    /// The HTTP status the engine answered with, when it answered.
    public var status: Int?
    /// The engine's message, or the transport's.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, status: Int? = nil, message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    /// The engine could not be reached or did not answer: says nothing about what was asked.
    public var isOutage: Bool { code == .engineUnreachable || code == .timedOut }

    public var description: String {
        "Docker \(code.rawValue)\(status.map { " (HTTP \($0))" } ?? ""): \(message)"
    }
}
