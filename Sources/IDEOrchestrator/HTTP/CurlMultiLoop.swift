import CCurl
import Foundation
import Synchronization

/// Drives every libcurl transfer of the process from one dedicated thread.
///
/// libcurl's multi interface runs many transfers on one thread, so blocking network work
/// never lands on Swift's cooperative pool. Other threads only enqueue commands (under a
/// mutex) and wake it with `curl_multi_wakeup`, which libcurl allows from any thread;
/// hence `@unchecked Sendable` for the raw multi handle.
final class CurlMultiLoop: @unchecked Sendable {
    /// The process-wide loop.
    static let shared = CurlMultiLoop()

    private struct Commands: ~Copyable {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
    }

    private let multi: UnsafeMutableRawPointer
    private let commands = Mutex(Commands())

    private init() {
        curl_global_init(Int(CURL_GLOBAL_ALL))
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
        self.multi = multi
        let thread = Thread { [self] in run() }
        thread.name = "curl-multi"
        thread.start()
    }

    /// Hands a configured transfer to the loop.
    func submit(_ transfer: CurlTransfer) {
        commands.withLock { $0.additions.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Asks the loop to abandon a transfer; harmless if it has already finished.
    func cancel(_ transfer: CurlTransfer) {
        commands.withLock { $0.cancellations.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        // Only this thread reads or writes `active`.
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (additions, cancellations) = commands.withLock { pending in
                defer { pending = Commands() }
                return (pending.additions, pending.cancellations)
            }
            for transfer in additions {
                active[transfer.handle] = transfer
                curl_multi_add_handle(multi, transfer.handle)
            }
            for transfer in cancellations {
                guard active[transfer.handle] === transfer else { continue }
                curl_multi_remove_handle(multi, transfer.handle)
                active[transfer.handle] = nil
                transfer.cancel()
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, handle)
                active.removeValue(forKey: handle)?.complete(result)
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
    }
}
