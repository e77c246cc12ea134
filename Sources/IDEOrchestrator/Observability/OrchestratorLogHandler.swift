import Foundation
import Logging
import Synchronization

/// Writes each log line to standard output as text or as one JSON object (see `LogLine`),
/// with the handler's metadata, the metadata provider's (the request id) and the call's.
public struct OrchestratorLogHandler: LogHandler {
    /// Where finished lines go; standard output unless a test captures them.
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let sink: Sink

    /// Creates a handler for `label`.
    public init(label: String, format: LogFormat, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping Sink = StandardOutput.write) {
        self.label = label
        self.format = format
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        let line = LogLine(time: Date(), level: event.level, label: label, message: event.message.description, source: event.source, metadata: merged)
        sink(format == .json ? line.json() : line.text())
    }

    /// Serialised writes of whole lines to standard output, so lines never interleave.
    public enum StandardOutput {
        private static let lock = Mutex(())

        /// Writes `line` and a newline.
        @Sendable public static func write(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            lock.withLock { _ in
                bytes.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                        if written <= 0 { break }
                        offset += written
                    }
                }
            }
        }
    }
}
