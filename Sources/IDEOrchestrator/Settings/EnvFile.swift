import Foundation

/// A `.env` file: `KEY=VALUE` lines read at start beneath the real environment.
///
/// Blank lines and lines starting with `#` are skipped; `export ` before a name is allowed.
/// A value is taken literally (no `${...}` expansion): unquoted up to a ` #` comment and
/// trimmed, in single quotes as written, or in double quotes with `\"`, `\\`, `\n` and `\t`
/// escapes. A later line for the same name wins. Any other line stops the service with its
/// line number; no error ever echoes a value.
public struct EnvFile: Sendable, Equatable {
    /// Where the file was read from, as given.
    public var path: String
    /// The names and values in file order.
    public var entries: [(name: String, value: String)]

    public static func == (lhs: EnvFile, rhs: EnvFile) -> Bool {
        lhs.path == rhs.path && lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.value) == rhs.entries.map(\.value)
    }

    /// The values by name, a later line winning.
    public var values: [String: String] {
        Dictionary(entries.map { ($0.name, $0.value) }) { _, later in later }
    }

    /// Parses the file's text; `path` only names it in errors.
    public init(parsing text: String, path: String) throws(SettingsError) {
        self.path = path
        entries = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if let entry = try Self.entry(in: line, path: path, number: index + 1) {
                entries.append(entry)
            }
        }
    }

    /// The file the settings read: ENV_FILE, or `.env` in `directory` when present.
    /// Returns nil when no file is named and `.env` does not exist.
    public static func load(environment: [String: String], directory: String) throws(SettingsError) -> EnvFile? {
        let named = EnvironmentReader.value(of: .envFile, in: environment)
        let path = named ?? SettingKey.envFile.defaultValue ?? ".env"
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: directory).appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            if named == nil { return nil }
            throw SettingsError(variable: SettingKey.envFile.name, expected: "a readable file of KEY=VALUE lines", found: path)
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SettingsError(variable: SettingKey.envFile.name, expected: "a readable UTF-8 file of KEY=VALUE lines", found: path)
        }
        return try EnvFile(parsing: text, path: path)
    }

    /// `export NAME='value'` lines for scripts: every entry whose setting the environment does
    /// not already give under any of its names, so the scripts see what the service will read.
    public func shellExports(under environment: [String: String]) -> String {
        let catalog = SettingKey.all
        var lines: [String] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            let key = catalog.first { $0.names.contains(name) } ?? SettingKey(name, nil, "")
            guard EnvironmentReader.value(of: key, in: environment) == nil else { continue }
            lines.append("export \(name)='\(value.replacingOccurrences(of: "'", with: "'\\''"))'")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    private static func entry(in line: Substring, path: String, number: Int) throws(SettingsError) -> (name: String, value: String)? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty || rest.hasPrefix("#") { return nil }
        if rest.hasPrefix("export ") { rest = rest.dropFirst("export ".count).drop { $0 == " " } }
        guard let equals = rest.firstIndex(of: "=") else {
            throw .envFileLine(path, line: number, variable: nil, "expected NAME=VALUE")
        }
        let name = String(rest[..<equals].trimmingCharacters(in: .whitespaces))
        guard isVariableName(name) else {
            throw .envFileLine(path, line: number, variable: nil, "the text before = is not a variable name (letters, digits and underscores, not starting with a digit)")
        }
        do throws(LineProblem) {
            return (name, try value(rest[rest.index(after: equals)...].drop { $0 == " " || $0 == "\t" }))
        } catch {
            throw .envFileLine(path, line: number, variable: name, error.problem)
        }
    }

    private struct LineProblem: Error {
        var problem: String
    }

    private static func value(_ text: Substring) throws(LineProblem) -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // Unquoted: a # after whitespace starts a comment.
            var value = ""
            var previous: Character = " "
            for character in text {
                if character == "#" && (previous == " " || previous == "\t") { break }
                value.append(character)
                previous = character
            }
            return value.trimmingCharacters(in: .whitespaces)
        }
        var value = ""
        var escaped = false
        var closing: Substring.Index?
        for index in text.indices.dropFirst() {
            let character = text[index]
            if escaped {
                switch character {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\"", "\\", "$": value.append(character)
                default: value.append("\\"); value.append(character)
                }
                escaped = false
            } else if character == quote {
                closing = index
                break
            } else if character == "\\" && quote == "\"" {
                escaped = true
            } else {
                value.append(character)
            }
        }
        guard let closing else { throw LineProblem(problem: "the \(quote == "\"" ? "double" : "single")-quoted value is not closed on this line") }
        let after = text[text.index(after: closing)...].drop { $0 == " " || $0 == "\t" }
        guard after.isEmpty || after.hasPrefix("#") else { throw LineProblem(problem: "unexpected text after the closing quote") }
        return value
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
