import Foundation

/// Splits the engine's newline-delimited JSON event stream into events.
enum EventDecoder {
    /// Decodes events from raw chunks, which may split or join lines arbitrarily.
    static func decode(_ chunks: AsyncThrowingStream<Data, any Error>) -> AsyncThrowingStream<DockerEvent, any Error> {
        let (events, sink) = AsyncThrowingStream<DockerEvent, any Error>.makeStream()
        let reader = Task {
            var buffer = Data()
            let decoder = JSONDecoder()
            do {
                for try await chunk in chunks {
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = buffer[buffer.startIndex..<newline]
                        buffer = Data(buffer[buffer.index(after: newline)...])
                        guard !line.isEmpty else { continue }
                        if let event = try? decoder.decode(DockerEvent.self, from: line) {
                            sink.yield(event)
                        }
                    }
                }
                sink.finish()
            } catch {
                sink.finish(throwing: CurlDockerEngine.streamError(error))
            }
        }
        sink.onTermination = { _ in reader.cancel() }
        return events
    }
}

extension CurlDockerEngine {
    /// A stream failure as a `DockerError` when it came from the transport.
    static func streamError(_ error: any Error) -> any Error {
        (error as? HTTPClientError).map(translate) ?? error
    }
}
