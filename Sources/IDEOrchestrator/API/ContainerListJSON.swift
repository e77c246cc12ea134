import Foundation

/// `GET /api/containers` pages written by hand: `JSONEncoder` took most of the route's CPU
/// (a page holds 50 records of 16 fields). The bytes are exactly what `JSON.encoder()` writes
/// for `ContainerRoutes.ListResponse`: sorted keys, explicit nulls, unescaped slashes.
enum ContainerListJSON {
    /// The page as JSON.
    static func encode(_ page: ContainerRoutes.ListResponse) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + page.containers.count * 700)
        out.append(contentsOf: #"{"containers":["#.utf8)
        for (index, summary) in page.containers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            write(summary, to: &out)
        }
        out.append(contentsOf: #"],"limit":"#.utf8)
        out.append(contentsOf: String(page.limit).utf8)
        out.append(contentsOf: #","offset":"#.utf8)
        out.append(contentsOf: String(page.offset).utf8)
        out.append(contentsOf: #","total":"#.utf8)
        out.append(contentsOf: String(page.total).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func write(_ s: ContainerSummary, to out: inout [UInt8]) {
        field("assignedAt", s.assignedAt.map(Timestamp.string), first: true, &out)
        field("createdAt", Timestamp.string(s.createdAt), &out)
        field("healthStatus", s.healthStatus, &out)
        field("id", s.id, &out)
        out.append(contentsOf: #","isPreWarmed":"#.utf8)
        out.append(contentsOf: (s.isPreWarmed ? "true" : "false").utf8)
        field("lastActivityAt", s.lastActivityAt.map(Timestamp.string), &out)
        field("readyAt", s.readyAt.map(Timestamp.string), &out)
        field("s3Bucket", s.s3Bucket, &out)
        field("s3Region", s.s3Region, &out)
        field("serviceId", s.serviceId, &out)
        field("serviceName", s.serviceName, &out)
        field("shutdownReason", s.shutdownReason?.rawValue, &out)
        field("status", s.status.rawValue, &out)
        field("stoppedAt", s.stoppedAt.map(Timestamp.string), &out)
        out.append(contentsOf: #","urls":"#.utf8)
        field("codeServer", s.urls.codeServer, first: true, &out)
        field("vnc", s.urls.vnc, &out)
        field("webServer", s.urls.webServer, &out)
        out.append(UInt8(ascii: "}"))
        field("userId", s.userId, &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `"key":value` (a JSON string or null), opening the object when `first`.
    private static func field(_ key: String, _ value: String?, first: Bool = false, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: first ? "{" : ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: key.utf8)
        out.append(contentsOf: #"":"#.utf8)
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        string(value, &out)
    }

    /// A JSON string, escaped as `JSONEncoder` escapes it.
    static func string(_ value: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
