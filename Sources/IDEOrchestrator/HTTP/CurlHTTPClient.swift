import Foundation

/// The `HTTPClient` built on libcurl: Docker's unix socket or TCP, S3 with SigV4, agents.
public struct CurlHTTPClient: HTTPClient {
    private let loop: CurlMultiLoop

    /// Creates a client on the process-wide libcurl loop.
    public init() {
        self.loop = .shared
    }

    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try Task.checkCancellation()
        let box = TransferBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                do {
                    let transfer = try CurlTransfer(request: request, delivery: .buffered(continuation))
                    loop.submit(transfer)
                    if box.set(transfer) { loop.cancel(transfer) }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if let transfer = box.markCancelled() { loop.cancel(transfer) }
        }
    }

    public func stream(_ request: HTTPClientRequest) async throws -> HTTPClientStreamResponse {
        try Task.checkCancellation()
        let box = TransferBox()
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { head in
                let (body, sink) = AsyncThrowingStream<Data, any Error>.makeStream()
                do {
                    let transfer = try CurlTransfer(request: request, delivery: .streamed(head: head, body: body, sink: sink))
                    sink.onTermination = { [weak transfer] _ in
                        if let transfer { loop.cancel(transfer) }
                    }
                    loop.submit(transfer)
                    if box.set(transfer) { loop.cancel(transfer) }
                } catch {
                    head.resume(throwing: error)
                }
            }
        } onCancel: {
            if let transfer = box.markCancelled() { loop.cancel(transfer) }
        }
    }
}

/// Lets the cancellation handler find a transfer created inside the continuation,
/// whichever of the two runs first.
private final class TransferBox: @unchecked Sendable {
    private let lock = NSLock()
    private var transfer: CurlTransfer?
    private var cancelled = false

    /// Records the transfer; returns true when cancellation already happened.
    func set(_ transfer: CurlTransfer) -> Bool {
        lock.withLock {
            self.transfer = transfer
            return cancelled
        }
    }

    /// Records cancellation; returns the transfer if it already exists.
    func markCancelled() -> CurlTransfer? {
        lock.withLock {
            cancelled = true
            return transfer
        }
    }
}
