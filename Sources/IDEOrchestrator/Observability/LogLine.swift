import Foundation
import Logging

/// One log line's content, rendered as text or as a single-line JSON object.
///
/// JSON carries `time`, `level`, `label`, `message`, `source` and every metadata key at the
/// top level (`meta.`-prefixed if it would clash); with a `container.id` it also gets the
/// container's `service.name`.
struct LogLine {
    var time: Date
    var level: Logger.Level
    var label: String
    var message: String
    var source: String
    var metadata: Logger.Metadata

    static let reserved: Set<String> = ["time", "level", "label", "message", "source"]

    /// Metadata with the derived service name, sorted by key for stable output.
    var fields: [(String, Logger.Metadata.Value)] {
        var all = metadata
        // The Swarm service is named as `ContainerRecord.serviceName` names it.
        if all["service.name"] == nil, let id = all["container.id"].map(Self.flat) {
            all["service.name"] = .string("ide-\(id)")
        }
        return all.sorted { $0.key < $1.key }
    }

    /// `2026-01-02T03:04:05.678Z info ide-orchestrator: Message key=value ...`
    func text() -> String {
        var line = "\(Timestamp.string(time)) \(level) \(label): \(message.replacingOccurrences(of: "\n", with: "\\n"))"
        for (key, value) in fields {
            line += " \(key)=\(Self.flat(value).replacingOccurrences(of: "\n", with: "\\n"))"
        }
        return line
    }

    /// One JSON object on one line.
    func json() -> String {
        var out = "{"
        out += "\"time\":" + JSONText.string(Timestamp.string(time))
        out += ",\"level\":" + JSONText.string(level.rawValue)
        out += ",\"label\":" + JSONText.string(label)
        out += ",\"message\":" + JSONText.string(message)
        out += ",\"source\":" + JSONText.string(source)
        for (key, value) in fields {
            let name = Self.reserved.contains(key) ? "meta.\(key)" : key
            out += "," + JSONText.string(name) + ":" + JSONText.value(value)
        }
        return out + "}"
    }

    static func flat(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let item): item.description
        case .array(let items): "[" + items.map(flat).joined(separator: ", ") + "]"
        case .dictionary(let entries): "[" + entries.sorted { $0.key < $1.key }.map { "\($0.key): \(flat($0.value))" }.joined(separator: ", ") + "]"
        }
    }
}

/// Minimal JSON rendering of strings and log metadata values.
enum JSONText {
    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let item): string(item.description)
        case .array(let items): "[" + items.map { Self.value($0) }.joined(separator: ",") + "]"
        case .dictionary(let entries): "{" + entries.sorted { $0.key < $1.key }.map { string($0.key) + ":" + Self.value($0.value) }.joined(separator: ",") + "}"
        }
    }

    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
