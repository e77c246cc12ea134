import Testing
@testable import IDEOrchestrator

/// Response head lines as libcurl hands them over.
@Suite struct HeaderLineTests {
    static func parse(_ text: String) -> HeaderLine {
        Array(text.utf8).withUnsafeBytes { HeaderLine.parse($0) }
    }

    @Test func fieldsAreLowercasedNamesAndTrimmedValues() {
        #expect(Self.parse("Content-Type: application/json\r\n") == .field(name: "content-type", value: "application/json"))
        #expect(Self.parse("X-Odd:\t  spaced value \t\r\n") == .field(name: "x-odd", value: "spaced value"))
        #expect(Self.parse("Api-Version:\r\n") == .field(name: "api-version", value: ""))
        #expect(Self.parse("Location: http://a/b?c=d:e\r\n") == .field(name: "location", value: "http://a/b?c=d:e"))
        #expect(Self.parse("X-Ünïcode: välue\r\n") == .field(name: "x-Ünïcode", value: "välue"))
    }

    @Test func statusLinesBlankLinesAndTheRest() {
        #expect(Self.parse("HTTP/1.1 200 OK\r\n") == .status)
        #expect(Self.parse("HTTP/2 100\r\n") == .status)
        #expect(Self.parse("\r\n") == .end)
        #expect(Self.parse("") == .end)
        #expect(Self.parse("no colon here\r\n") == .other)
    }
}
