/// One message of the engine's `/events` stream.
public struct DockerEvent: Codable, Sendable {
    /// `container`, `service`, `network`, `node`, ...
    public var type: String
    /// `create`, `update`, `remove`, `start`, `die`, ...
    public var action: String
    /// What the event is about.
    public var actor: Actor
    /// Unix time in seconds.
    public var time: Int64?
    /// Unix time in nanoseconds.
    public var timeNano: Int64?

    enum CodingKeys: String, CodingKey { case type = "Type", action = "Action", actor = "Actor", time, timeNano }

    /// The object an event is about.
    public struct Actor: Codable, Sendable {
        /// Its id.
        public var id: String
        /// Its attributes: name, labels, ...
        public var attributes: [String: String]?
        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }
}
