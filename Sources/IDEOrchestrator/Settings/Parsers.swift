import Foundation

/// Parses sizes such as `4GB`, `512m` or `1073741824` into bytes (powers of 1024, like Docker).
enum ByteSizeParser {
    static func parse(_ text: String) -> Int64? {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        let kib = 1024.0, mib = kib * 1024, gib = mib * 1024, tib = gib * 1024
        let units: [(String, Double)] = [
            ("tib", tib), ("tb", tib), ("t", tib),
            ("gib", gib), ("gb", gib), ("g", gib),
            ("mib", mib), ("mb", mib), ("m", mib),
            ("kib", kib), ("kb", kib), ("k", kib),
            ("b", 1),
        ]
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            let number = lowered.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value > 0, value.isFinite else { return nil }
            return Int64(value * factor)
        }
        guard let bytes = Int64(lowered), bytes > 0 else { return nil }
        return bytes
    }
}

/// Parses durations such as `500ms`, `30s`, `5m`, `1h`; a plain number is seconds.
enum DurationParser {
    static func parse(_ text: String) -> Duration? {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where lowered.hasSuffix(suffix) {
            guard let value = Double(lowered.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64((value * seconds * 1000).rounded()))
        }
        guard let value = Double(lowered), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}
