import Foundation
import Hummingbird
import NIOCore

/// JSON in and out of the API: ISO 8601 dates, sorted keys, one encoder configuration.
enum JSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes a JSON body of at most `maxBytes`: 415 for a declared type other than JSON,
    /// 413 for a larger body, 400 for anything that is not the expected JSON. Unknown fields are ignored.
    static func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, maxBytes: Int) async throws -> T {
        if let contentType = request.headers[.contentType], !isJSON(contentType) { throw APIError.unsupportedMediaType }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: maxBytes)
        } catch {
            throw APIError.invalidBody("The request body could not be read")
        }
        guard buffer.readableBytes > 0 else { throw APIError.invalidBody("The request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.invalidBody("Field '\(field)' has the wrong type")
        } catch {
            throw APIError.invalidBody("The request body is not valid JSON")
        }
    }
}

extension JSON {
    /// Whether a `Content-Type` names JSON: `application/json` or a `+json` type, any parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}

/// ISO 8601 timestamps with milliseconds, UTC (`2026-11-23T12:09:07.123Z`).
enum Timestamp {
    static func string(_ date: Date) -> String {
        // Formatted by hand: Foundation's ISO 8601 style costs microseconds a call, and a page
        // of containers has hundreds of dates. Milliseconds are truncated from the fraction of
        // the second, exactly as that style does.
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        let milli = min(999, Int(((interval - seconds) * 1000).rounded(.down)))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        UTCDateText.append(seconds: Int64(seconds), millisecond: milli, separator: "T", to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
