/// One line of a response's head as libcurl hands it over, read byte by byte: Foundation's
/// trimming by character set cost more than the rest of a health check's bookkeeping.
enum HeaderLine: Equatable {
    /// The blank line that ends a header block.
    case end
    /// A status line (`HTTP/1.1 200 OK`): a new header block starts.
    case status
    /// `name: value`, the name lowercased, the value without surrounding blanks.
    case field(name: String, value: String)
    /// Anything else (a folded continuation, garbage): ignored.
    case other

    static func parse(_ bytes: UnsafeRawBufferPointer) -> HeaderLine {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var start = 0
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        if start == end { return .end }
        let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if line.starts(with: "HTTP/".utf8) { return .status }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .other }
        var valueStart = colon + 1
        while valueStart < line.count, isBlank(line[valueStart]) { valueStart += 1 }
        let name = String(decoding: line[..<colon].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)
        return .field(name: name, value: value)
    }
}
