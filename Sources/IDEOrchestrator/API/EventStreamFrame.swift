import Foundation
import Hummingbird

/// One server-sent-events frame, encoded once and written to every client as is.
public struct EventStreamFrame: Sendable {
    /// The container event's id, when the frame carries one (heartbeats carry none).
    public let eventID: Int64?
    /// The frame's bytes on the wire.
    public let bytes: ByteBuffer

    /// A `container` event: `id:` is the event id, `data:` the event as JSON on one line.
    static func event(_ event: ContainerEvent) throws -> EventStreamFrame {
        let json = String(decoding: try JSON.encoder().encode(EventView(event)), as: UTF8.self)
        let id = event.id ?? 0
        return EventStreamFrame(eventID: id, bytes: ByteBuffer(string: "id: \(id)\nevent: container\ndata: \(json)\n\n"))
    }

    /// A comment line that keeps idle connections (and proxies) open.
    static let heartbeat = EventStreamFrame(eventID: nil, bytes: ByteBuffer(string: ": keepalive\n\n"))

    /// The first frame: how long a client waits before reconnecting, and that the stream is open.
    static func opening(retryMillis: Int) -> EventStreamFrame {
        EventStreamFrame(eventID: nil, bytes: ByteBuffer(string: "retry: \(retryMillis)\nevent: open\ndata: {}\n\n"))
    }
}

/// A container event as the API shows it, in the stream and in `/api/events/recent`.
struct EventView: Encodable {
    var id: Int64
    var containerId: String
    var at: Date
    var kind: String
    var fromStatus: ContainerStatus?
    var toStatus: ContainerStatus?
    var reason: String?

    init(_ event: ContainerEvent) {
        id = event.id ?? 0
        containerId = event.containerId
        at = event.at
        kind = event.kind
        fromStatus = event.fromStatus
        toStatus = event.toStatus
        reason = event.reason
    }

    enum CodingKeys: String, CodingKey { case id, containerId, at, kind, fromStatus, toStatus, reason }

    // Explicit nulls, so every field is always present.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(containerId, forKey: .containerId)
        try c.encode(at, forKey: .at)
        try c.encode(kind, forKey: .kind)
        try c.encode(fromStatus, forKey: .fromStatus)
        try c.encode(toStatus, forKey: .toStatus)
        try c.encode(reason, forKey: .reason)
    }
}
