import Foundation
import Testing
@testable import IDEOrchestrator

/// The engine's and agents' timestamps read by hand, as Foundation's formatter read them.
@Suite struct RFC3339Tests {
    static let reference = Date(timeIntervalSince1970: 1_795_455_945)  // 2026-11-23T17:45:45Z

    @Test(arguments: [
        ("2026-11-23T17:45:45Z", 0.0),
        ("2026-11-23T17:45:45.5Z", 0.5),
        ("2026-11-23T17:45:45.123456789Z", 0.123456789),
        ("2026-11-23T19:45:45+02:00", 0.0),
        ("2026-11-23T16:15:45.25-01:30", 0.25),
        ("2026-11-23t17:45:45z", 0.0),
    ])
    func aTimestampIsReadToItsInstant(text: String, fraction: Double) throws {
        let date = try #require(RFC3339.date(text))
        #expect(abs(date.timeIntervalSince1970 - (Self.reference.timeIntervalSince1970 + fraction)) < 1e-6)
    }

    @Test func theSameAsFoundationsFormatterOnTheEnginesForm() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for text in ["2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "2038-01-19T03:14:08.123Z"] {
            let expected = try #require(formatter.date(from: text))
            let date = try #require(RFC3339.date(text))
            #expect(abs(date.timeIntervalSince(expected)) < 1e-3, "\(text)")
        }
    }

    @Test(arguments: [
        "", "2026-11-23", "2026-11-23T17:45:45", "2026-11-23T17:45:45.Z", "2026-13-23T17:45:45Z",
        "2026-11-23T24:00:00Z", "2026-11-23T17:45:45+0200", "2026-11-23T17:45:45Zjunk", "2026-1a-23T17:45:45Z",
        "0001-01-01T00:00:00Z" + String(repeating: "0", count: 60),
    ])
    func anythingElseIsNoDate(text: String) {
        #expect(RFC3339.date(text) == nil)
    }
}
