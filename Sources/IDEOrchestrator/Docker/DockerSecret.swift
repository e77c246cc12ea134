import Foundation

/// A Swarm secret as the engine lists it: never its data, which the engine does not return.
public struct DockerSecret: Codable, Sendable, Equatable {
    /// The secret's id.
    public var id: String
    /// RFC 3339 creation time.
    public var createdAt: String?
    /// Its name and labels.
    public var spec: Spec

    enum CodingKeys: String, CodingKey { case id = "ID", createdAt = "CreatedAt", spec = "Spec" }

    /// Name and labels of a secret.
    public struct Spec: Codable, Sendable, Equatable {
        /// The secret's name.
        public var name: String
        /// Its labels.
        public var labels: [String: String]?

        enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels" }
    }

    /// When the secret was created, if the engine said.
    public var created: Date? { createdAt.flatMap(RFC3339.date) }
}

/// What `POST /secrets/create` takes: the data goes base64-encoded and is never read back.
public struct SecretCreateRequest: Encodable, Sendable {
    /// The secret's name.
    public var name: String
    /// Its labels.
    public var labels: [String: String]
    /// The secret's content.
    public var data: Data

    /// Creates a request.
    public init(name: String, labels: [String: String], data: Data) {
        self.name = name
        self.labels = labels
        self.data = data
    }

    enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels", data = "Data" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(labels, forKey: .labels)
        try container.encode(data.base64EncodedString(), forKey: .data)
    }
}
