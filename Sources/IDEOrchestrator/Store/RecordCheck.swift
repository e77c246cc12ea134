/// A condition a container record must meet for a transition to apply, checked inside the
/// write transaction together with the observed status.
public struct RecordCheck: Sendable {
    public let holds: @Sendable (ContainerRecord) -> Bool

    public static let always = RecordCheck { _ in true }

    public init(_ holds: @escaping @Sendable (ContainerRecord) -> Bool) {
        self.holds = holds
    }

    public static func matching(_ holds: @escaping @Sendable (ContainerRecord) -> Bool) -> RecordCheck {
        RecordCheck(holds)
    }
}
