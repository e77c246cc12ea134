import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct TimestampTests {
    /// The hand-made formatter writes exactly what Foundation's ISO 8601 style writes.
    @Test func matchesFoundationsISO8601Style() {
        var generator = SplitMix64(seed: 2026)
        let fixed = [0, 1, 0.999, 0.0005, 951_782_400.5, 1_795_000_000.123, 4_102_444_799.999]
        let random = (0..<2000).map { _ in Double.random(in: 0..<4_102_444_800, using: &generator) }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            let foundation = date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
            #expect(Timestamp.string(date) == foundation, "\(seconds)")
        }
    }
}
