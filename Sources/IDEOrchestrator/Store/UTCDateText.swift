import Foundation

/// `yyyy-MM-dd?HH:mm:ss.SSS` in UTC, written by hand: formatters cost microseconds a date, and
/// a page of records has hundreds. The store (`StoredDate`) and the API (`Timestamp`) differ
/// only in the separator between date and time and in what follows.
enum UTCDateText {
    /// Appends the text of `seconds` since 1970 and `millisecond` (0...999) to `bytes`.
    static func append(seconds: Int64, millisecond: Int, separator: Character, to bytes: inout [UInt8]) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(separator.asciiValue ?? UInt8(ascii: " "))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(millisecond, 3)
    }
}
