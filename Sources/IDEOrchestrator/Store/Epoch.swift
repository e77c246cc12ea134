import Foundation

/// One run of the service. Records an in-flight step (`assigning`, `stopping`) with the epoch
/// of the run that took it, so the next run knows at once that nobody is finishing that step.
public struct Epoch: Sendable, Hashable, CustomStringConvertible {
    /// The random id of this run.
    public let id: String

    /// A fresh epoch.
    public init() {
        id = ContainerID.generate()
    }

    /// An epoch with a known id, for tests.
    public init(id: String) {
        self.id = id
    }

    public var description: String { id }
}
