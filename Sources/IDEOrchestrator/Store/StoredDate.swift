import Foundation
import GRDB

/// Dates in GRDB's storage format, `yyyy-MM-dd HH:mm:ss.SSS` in UTC, converted by hand.
///
/// GRDB converts through a `DateFormatter` and a `Calendar`, which costs microseconds per date
/// (a page of records holds hundreds) and loads ICU's locale and time zone data into the process
/// (3 MB resident) the first time. Every date the store writes, binds or reads goes through here;
/// the text is exactly GRDB's, and only a value in another format is read back through GRDB.
enum StoredDate {
    /// Seconds from 1970 to 2001, Foundation's reference date.
    private static let referenceOffset: Double = 978_307_200

    /// The stored text of `date`, to the nearest millisecond, as the formatter writes it.
    static func databaseValue(_ date: Date?) -> DatabaseValue {
        guard let date else { return .null }
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, milli) = millis.quotientAndRemainder(dividingBy: 1000)
        let whole = milli < 0 ? seconds - 1 : seconds
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
        UTCDateText.append(seconds: whole, millisecond: Int(milli < 0 ? milli + 1000 : milli), separator: " ", to: &bytes)
        return String(decoding: bytes, as: UTF8.self).databaseValue
    }

    /// The date a stored value holds: GRDB's text format by hand, anything else through GRDB.
    static func date(from value: DatabaseValue) -> Date? {
        if case .string(let text) = value.storage, let date = parse(text) { return date }
        return Date.fromDatabaseValue(value)
    }

    /// Parses `yyyy-MM-dd HH:mm:ss.SSS` (or without milliseconds); nil for anything else.
    static func parse(_ text: String) -> Date? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Date? in
            guard bytes.count == 23 || bytes.count == 19 else { return nil }
            func number(_ start: Int, _ width: Int) -> Int? {
                var value = 0
                for index in start..<(start + width) {
                    let byte = bytes[index]
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                  let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
            else { return nil }
            var milli = 0
            if bytes.count == 23 {
                guard bytes[19] == UInt8(ascii: "."), let value = number(20, 3) else { return nil }
                milli = value
            }
            let days = daysFromCivil(year: year, month: month, day: day)
            let millis = Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(milli)
            return Date(timeIntervalSinceReferenceDate: Double(millis - Int64(referenceOffset) * 1000) / 1000)
        } ?? nil
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
