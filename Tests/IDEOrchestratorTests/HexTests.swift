import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct HexTests {
    @Test func encodesEveryByteAsFoundationDid() {
        let bytes = (0...255).map(UInt8.init)
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test func randomTextHasTwoDigitsPerByteAndDiffers() {
        let first = Hex.random(bytes: 32), second = Hex.random(bytes: 32)
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit) && first != second)
    }

    /// Counts the draws: each draw of the system's generator is a `getrandom` call.
    struct CountingGenerator: RandomNumberGenerator {
        var draws = 0
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        mutating func next() -> UInt64 {
            draws += 1
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test func aTokenTakesEightBytesPerDraw() {
        var generator = CountingGenerator()
        let token = Hex.random(bytes: 32, using: &generator)
        #expect(token.count == 64 && generator.draws == 4)
        #expect(Hex.random(bytes: 5, using: &generator).count == 10 && generator.draws == 5)
    }

    @Test func generatedRequestIDsAreVersion4UUIDsFromTwoDraws() throws {
        var generator = CountingGenerator()
        let id = RequestID.generate(using: &generator)
        #expect(generator.draws == 2)
        let parsed = try #require(UUID(uuidString: id))
        #expect(parsed.uuidString.lowercased() == id)
        let groups = id.split(separator: "-").map(\.count)
        #expect(groups == [8, 4, 4, 4, 12])
        #expect(Array(id)[14] == "4" && "89ab".contains(Array(id)[19]))
        #expect(RequestID.generate() != RequestID.generate())
        #expect(RequestID.isWellFormed(RequestID.generate()))
    }
}
