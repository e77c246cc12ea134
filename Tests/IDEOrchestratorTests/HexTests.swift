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
}
