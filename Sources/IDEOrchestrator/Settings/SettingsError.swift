/// A missing or malformed configuration value, naming the variable and what it accepts.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault.
    public let variable: String
    /// The accepted form, e.g. "an integer from 1 to 65535".
    public let expected: String
    /// What was found, if anything; omitted for secrets.
    public let found: String?
    /// A complete message for problems that are not one bad value (conflicts, `.env` syntax).
    public let message: String?

    public init(variable: String, expected: String, found: String?) {
        self.variable = variable
        self.expected = expected
        self.found = found
        self.message = nil
    }

    init(variable: String, message: String) {
        self.variable = variable
        self.expected = ""
        self.found = nil
        self.message = message
    }

    /// Two names of one setting given different values; no value is echoed, either may be a secret.
    static func conflict(_ first: String, _ second: String, in source: String) -> SettingsError {
        SettingsError(variable: first, message: "\(first) and \(second) name the same setting and are both set in \(source), to different values: set only one")
    }

    /// A line of the `.env` file that is not `KEY=VALUE`; the line's text is never echoed.
    static func envFileLine(_ path: String, line: Int, variable: String?, _ problem: String) -> SettingsError {
        SettingsError(variable: variable ?? SettingKey.envFile.name, message: "\(path) line \(line)\(variable.map { " (\($0))" } ?? ""): \(problem)")
    }

    public var description: String {
        if let message { return message }
        if let found {
            return "\(variable) must be \(expected) (got \"\(found)\")"
        }
        return "\(variable) is required: \(expected)"
    }
}
