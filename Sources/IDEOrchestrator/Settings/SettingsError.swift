/// A missing or malformed configuration value, naming the variable and what it accepts.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault.
    public let variable: String
    /// The accepted form, e.g. "an integer from 1 to 65535".
    public let expected: String
    /// What was found, if anything; omitted for secrets.
    public let found: String?

    public var description: String {
        if let found {
            return "\(variable) must be \(expected) (got \"\(found)\")"
        }
        return "\(variable) is required: \(expected)"
    }
}
