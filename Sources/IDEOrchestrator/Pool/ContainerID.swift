/// Unguessable container ids: 16 characters of `[a-z0-9]` from the system's CSPRNG (~82 bits).
public enum ContainerID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// A fresh id.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Whether `text` has the shape of an id this service issues (also guards URL paths).
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        (12...64).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }
}
