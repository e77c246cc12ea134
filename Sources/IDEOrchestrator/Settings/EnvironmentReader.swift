import Foundation
import Logging

/// Typed reads of environment variables, each through its catalog `SettingKey`.
///
/// It remembers which variables were read, so a test can hold the catalog to the code.
final class EnvironmentReader {
    let environment: [String: String]
    private(set) var accessed: Set<String> = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    /// The raw value, falling back to the key's default; empty strings count as unset.
    func raw(_ key: SettingKey) -> String? {
        accessed.insert(key.name)
        if let value = environment[key.name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
            return value
        }
        return key.defaultValue
    }

    func string(_ key: SettingKey) -> String {
        raw(key) ?? ""
    }

    func integer(_ key: SettingKey, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        let text = string(key)
        guard let value = Int(text), range.contains(value) else {
            throw SettingsError(variable: key.name, expected: "an integer from \(range.lowerBound) to \(range.upperBound)", found: text)
        }
        return value
    }

    func number(_ key: SettingKey, in range: ClosedRange<Double>) throws(SettingsError) -> Double {
        let text = string(key)
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw SettingsError(variable: key.name, expected: "a number from \(range.lowerBound.formatted) to \(range.upperBound.formatted)", found: text)
        }
        return value
    }

    func duration(_ key: SettingKey, minimum: Duration = .milliseconds(1)) throws(SettingsError) -> Duration {
        let text = string(key)
        guard let value = DurationParser.parse(text), value >= minimum else {
            throw SettingsError(variable: key.name, expected: "a duration such as 500ms, 30s, 5m or 1h (plain numbers are seconds), at least \(minimum)", found: text)
        }
        return value
    }

    func byteSize(_ key: SettingKey) throws(SettingsError) -> Int64 {
        let text = string(key)
        guard let value = ByteSizeParser.parse(text), value >= 4 * 1024 * 1024 else {
            throw SettingsError(variable: key.name, expected: "a size of at least 4MB: bytes, or a number with K, KB, M, MB, G, GB, T or TB", found: text)
        }
        return value
    }

    func logLevel(_ key: SettingKey) throws(SettingsError) -> Logger.Level {
        let text = string(key).lowercased()
        guard let level = Logger.Level(rawValue: text) else {
            throw SettingsError(variable: key.name, expected: "one of trace, debug, info, notice, warning, error, critical", found: text)
        }
        return level
    }

    func boolean(_ key: SettingKey) throws(SettingsError) -> Bool {
        let text = string(key).lowercased()
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw SettingsError(variable: key.name, expected: "true or false", found: text)
        }
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ key: SettingKey, of type: Choice.Type) throws(SettingsError) -> Choice where Choice.RawValue == String {
        let text = string(key).lowercased()
        guard let value = Choice(rawValue: text) else {
            throw SettingsError(variable: key.name, expected: "one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))", found: text)
        }
        return value
    }

    func list(_ key: SettingKey) -> [String] {
        string(key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

private extension Double {
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
