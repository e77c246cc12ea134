import Foundation
import Logging

/// Typed reads of environment variables, each through its catalog `SettingKey`.
///
/// Two layers are read: the real environment first, then the `.env` file's values; a setting
/// given in the environment under any of its names ignores the file. It remembers which
/// variables were read, so a test can hold the catalog to the code.
final class EnvironmentReader {
    let environment: [String: String]
    /// The `.env` file's values, beneath the environment.
    var file: [String: String] = [:]
    /// Where those values came from.
    var filePath: String?
    private(set) var accessed: Set<String> = []

    init(environment: [String: String], file: [String: String] = [:]) {
        self.environment = environment
        self.file = file
    }

    /// The raw value, falling back to the key's default; empty strings count as unset.
    func raw(_ key: SettingKey) -> String? {
        accessed.insert(key.name)
        return Self.value(of: key, in: environment) ?? Self.value(of: key, in: file) ?? key.defaultValue
    }

    /// The first non-empty value of the key's names in one layer.
    static func value(of key: SettingKey, in layer: [String: String]) -> String? {
        key.names.lazy.compactMap { layer[$0]?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    /// Stops on a setting given twice in one layer under different names with different values.
    func checkAliases(_ keys: [SettingKey] = SettingKey.all) throws(SettingsError) {
        for key in keys where !key.aliases.isEmpty {
            for (layer, source) in [(environment, "the environment"), (file, filePath ?? "the .env file")] {
                var given: [(name: String, value: String)] = []
                for name in key.names {
                    if let value = layer[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { given.append((name, value)) }
                }
                guard let first = given.first, let other = given.dropFirst().first(where: { $0.value != first.value }) else { continue }
                throw .conflict(first.name, other.name, in: source)
            }
        }
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

    func duration(_ key: SettingKey, minimum: Duration = .milliseconds(1), maximum: Duration? = nil) throws(SettingsError) -> Duration {
        let text = string(key)
        guard let value = DurationParser.parse(text), value >= minimum, value <= maximum ?? value else {
            let most = maximum.map { " and at most \($0) (milliseconds need the unit, e.g. 5000ms)" } ?? ""
            throw SettingsError(variable: key.name, expected: "a duration such as 500ms, 30s, 5m or 1h (plain numbers are seconds), at least \(minimum)\(most)", found: text)
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
        // "warn" is the original orchestrator's spelling.
        guard let level = Logger.Level(rawValue: text == "warn" ? "warning" : text) else {
            throw SettingsError(variable: key.name, expected: "one of trace, debug, info, notice, warning, error, critical", found: text)
        }
        return level
    }

    /// The trimmed contents of the file the variable names (such as a Docker secret); empty when unset.
    func fileContents(_ key: SettingKey) throws(SettingsError) -> String {
        let path = string(key)
        guard !path.isEmpty else { return "" }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError(variable: key.name, expected: "the path of a readable file", found: path)
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A secret given directly, or else through the file `fileKey` names.
    func secret(_ key: SettingKey, orFile fileKey: SettingKey) throws(SettingsError) -> String {
        let direct = string(key), path = string(fileKey)
        return direct.isEmpty && !path.isEmpty ? try fileContents(fileKey) : direct
    }

    /// The comma- or newline-separated entries of the file the variable names.
    func fileList(_ key: SettingKey) throws(SettingsError) -> [String] {
        try fileContents(key).split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Swarm's restart condition; Docker's `docker run` names are accepted too.
    func restartCondition(_ key: SettingKey) throws(SettingsError) -> String {
        let text = string(key).lowercased()
        switch text {
        case "on-failure": return "on-failure"
        case "any", "always", "unless-stopped": return "any"
        case "none", "no": return "none"
        default: throw SettingsError(variable: key.name, expected: "on-failure, any (always, unless-stopped) or none (no)", found: text)
        }
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

    /// A comma-separated list of CIDR ranges; throws naming the first entry that is not one.
    func ranges(_ key: SettingKey) throws(SettingsError) -> [IPRange] {
        var ranges: [IPRange] = []
        for entry in list(key) {
            guard let range = IPRange(entry) else {
                throw SettingsError(variable: key.name, expected: "comma-separated CIDR ranges such as 10.0.0.0/8 or fd00::/8 (or bare addresses)", found: entry)
            }
            ranges.append(range)
        }
        return ranges
    }
}

private extension Double {
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
