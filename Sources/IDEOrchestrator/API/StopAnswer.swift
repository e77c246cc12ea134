import Hummingbird

/// The answer to a stop: `DELETE /api/containers/{id}` and a container's own inactivity shutdown.
enum StopAnswer {
    /// For a container that had failed before the stop: nothing was stopped.
    static let alreadyFailed = "Container had already failed: nothing left to stop"

    /// The container's id and status, with `message`, or `alreadyFailed` for a failed one.
    static func response(_ record: ContainerRecord, message: String) throws -> Response {
        try JSON.response(["id": record.id, "status": record.status.rawValue, "message": record.status == .failed ? alreadyFailed : message])
    }
}
