import Foundation

/// Reads the node's own memory and CPU counters from `/proc`.
struct HostResources: Sendable {
    /// Memory use in percent: (MemTotal - MemAvailable) / MemTotal.
    static func memoryPercent(meminfo: String) -> Double? {
        var fields: [String: Double] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = Double(parts[1]) { fields[String(parts[0])] = value }
        }
        guard let total = fields["MemTotal"], total > 0, let available = fields["MemAvailable"] else { return nil }
        return (total - available) / total * 100
    }

    /// Busy and total jiffies from the aggregate `cpu` line of `/proc/stat`.
    static func cpuTimes(stat: String) -> (busy: Double, total: Double)? {
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 4 else { return nil }
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        let total = values.reduce(0, +)
        return (total - idle, total)
    }

    static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }
}
