import CCurl
import Foundation

/// One libcurl easy handle and the state of its transfer.
///
/// After `CurlMultiLoop.submit` only the loop's thread touches it, which is why it is
/// `@unchecked Sendable`.
final class CurlTransfer: @unchecked Sendable {
    /// How the transfer reports back to its caller.
    enum Delivery {
        case buffered(CheckedContinuation<HTTPClientResponse, any Error>)
        case streamed(
            head: CheckedContinuation<HTTPClientStreamResponse, any Error>,
            body: AsyncThrowingStream<Data, any Error>,
            sink: AsyncThrowingStream<Data, any Error>.Continuation
        )
    }

    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var delivery: Delivery?
    private var headDelivered = false
    private var responseHeaders: [String: String] = [:]
    private var responseBody = Data()
    private let maxResponseBytes: Int?
    private var tooLarge = false

    init(request: HTTPClientRequest, delivery: Delivery) throws {
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(.transport, "curl_easy_init failed")
        }
        self.handle = handle
        self.delivery = delivery
        self.maxResponseBytes = request.maxResponseBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        configure(request)
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPClientRequest) {
        ccurl_easy_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        if case .unixSocket(let path) = request.endpoint {
            ccurl_easy_setopt_string(handle, CURLOPT_UNIX_SOCKET_PATH, path)
        }
        ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds)
        if let timeout = request.timeout {
            ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, timeout.milliseconds))
        }
        configureMethod(request)
        configureHeaders(request)
        if let sigV4 = request.sigV4 {
            ccurl_easy_setopt_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(sigV4.region):\(sigV4.service)")
            ccurl_easy_setopt_string(handle, CURLOPT_USERNAME, sigV4.accessKeyId)
            ccurl_easy_setopt_string(handle, CURLOPT_PASSWORD, sigV4.secretAccessKey)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlTransferWrite)
        ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
        ccurl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlTransferHeader)
        ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me)
    }

    private func configureMethod(_ request: HTTPClientRequest) {
        let method = request.method.uppercased()
        if method == "HEAD" {
            ccurl_easy_setopt_long(handle, CURLOPT_NOBODY, 1)
            return
        }
        if let body = request.body {
            ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies the bytes, so the body need not outlive this call.
                let base = bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)
                ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
            }
        }
        if method != "GET" || request.body != nil {
            ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        }
    }

    private func configureHeaders(_ request: HTTPClientRequest) {
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        if request.body != nil && request.sigV4 == nil {
            // An empty `Expect:` stops libcurl waiting for `100 Continue` on larger bodies. Never
            // with SigV4: libcurl signs the empty header but does not send it, so the signature
            // would not match (an `Expect: 100-continue` libcurl adds itself is sent unsigned).
            lines.append("Expect:")
        }
        for line in lines {
            headerList = curl_slist_append(headerList, line)
        }
        ccurl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList)
    }

    private var statusCode: Int {
        var code = 0
        ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    fileprivate func receiveHeader(_ line: HeaderLine) {
        switch line {
        case .end:
            if statusCode >= 200, case .streamed(let head, let body, _) = delivery {
                // The blank line ends the final header block: streams such as `/events` may send
                // no body for a long time, so the caller gets the head now.
                deliverHead(head, body)
            }
        case .status:
            // A new status line (after `100 Continue` or a redirect) starts a fresh header set.
            responseHeaders = [:]
        case .field(let name, let value):
            responseHeaders[name] = value
        case .other:
            break
        }
    }

    fileprivate func receiveBody(_ chunk: Data) -> Bool {
        switch delivery {
        case .buffered:
            if let limit = maxResponseBytes, responseBody.count + chunk.count > limit {
                tooLarge = true
                return false
            }
            responseBody.append(chunk)
            return true
        case .streamed(let head, let body, let sink):
            deliverHead(head, body)
            if case .terminated = sink.yield(chunk) { return false }
            return true
        case nil:
            return false
        }
    }

    private func deliverHead(_ head: CheckedContinuation<HTTPClientStreamResponse, any Error>, _ body: AsyncThrowingStream<Data, any Error>) {
        guard !headDelivered else { return }
        headDelivered = true
        head.resume(returning: HTTPClientStreamResponse(status: statusCode, headers: responseHeaders, body: body))
    }

    /// Reports the transfer's outcome to its caller; called once by the loop.
    func complete(_ code: CURLcode) {
        let failure: HTTPClientError? = code == CURLE_OK ? nil : error(for: code)
        switch delivery {
        case .buffered(let continuation):
            if let failure {
                continuation.resume(throwing: failure)
            } else {
                continuation.resume(returning: HTTPClientResponse(status: statusCode, headers: responseHeaders, body: responseBody))
            }
        case .streamed(let head, let body, let sink):
            if let failure, !headDelivered {
                headDelivered = true
                head.resume(throwing: failure)
            } else {
                deliverHead(head, body)
            }
            if let failure { sink.finish(throwing: failure) } else { sink.finish() }
        case nil:
            break
        }
        delivery = nil
    }

    /// Ends the transfer because its caller no longer wants it.
    func cancel() {
        switch delivery {
        case .buffered(let continuation):
            continuation.resume(throwing: CancellationError())
        case .streamed(let head, _, let sink):
            if !headDelivered {
                headDelivered = true
                head.resume(throwing: CancellationError())
            }
            sink.finish()
        case nil:
            break
        }
        delivery = nil
    }

    /// Whether a connection was ever established.
    private var connected: Bool {
        var micros: curl_off_t = 0
        ccurl_easy_getinfo_off(handle, CURLINFO_CONNECT_TIME_T, &micros)
        return micros > 0
    }

    private func error(for code: CURLcode) -> HTTPClientError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        if tooLarge { return HTTPClientError(.responseTooLarge, "the answer exceeded \(maxResponseBytes ?? 0) bytes") }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPClientError(.connectionFailed, message)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPClientError(connected ? .timedOut : .connectionFailed, message)
        case CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK:
            return HTTPClientError(.cancelled, message)
        default:
            return HTTPClientError(.transport, message)
        }
    }
}

private func curlTransferWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let data, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.receiveBody(Data(bytes: data, count: length)) ? length : 0
}

private func curlTransferHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let data, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeader(HeaderLine.parse(UnsafeRawBufferPointer(start: data, count: length)))
    return length
}

extension Duration {
    /// The duration in whole milliseconds, for libcurl's `_MS` options.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
