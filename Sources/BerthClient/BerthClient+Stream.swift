import BerthAPI
import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BerthClient {
    /// A request whose reply body is consumed as it arrives (logs -f, exec, attach): chunked bodies
    /// are de-chunked, upgraded (hijacked) connections are passed through raw until the daemon closes.
    /// Errors (status ≥ 400) are thrown like `checked`. Returns the status.
    ///
    /// On an upgraded connection, `stdin` (a descriptor) is copied to the daemon on a thread of its
    /// own; its end of file half-closes the connection (replies keep coming). `onReply` runs once the
    /// reply's head arrived and before its body is read (`run -i` starts the container there).
    @discardableResult
    public func stream(
        _ method: String, _ path: String, body: [UInt8]? = nil, upgrade: Bool = false, stdin: Int32? = nil,
        onReply: (() throws -> Void)? = nil, onData: ([UInt8]) throws -> Void
    ) throws -> Int {
        let fd = try connect()
        defer { Syscall.close(fd) }
        var tv = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        try writeAll(fd, BerthClient.requestHead(method, path, body: body, upgrade: upgrade) + (body ?? []))
        var raw: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        func readMore() throws -> Bool {
            let n = try buf.withUnsafeMutableBytes { p in
                try Syscall.retrying("read from \(socketPath)") { read(fd, p.baseAddress, p.count) }
            }
            if n == 0 { return false }
            raw += buf[0..<n]
            return true
        }
        let sep: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            headEnd = raw.indices.first(where: { raw[$0...].starts(with: sep) })
            if headEnd != nil { break }
            if !(try readMore()) {
                throw BerthError(.system, "berthd closed the connection on \(socketPath) without a reply; see its log")
            }
        }
        let end = headEnd!
        let headText = String(decoding: raw[..<end], as: UTF8.self)
        let statusLine = headText.components(separatedBy: "\r\n")[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw BerthError(.system, "berthd sent a malformed reply")
        }
        let chunked = headText.lowercased().contains("transfer-encoding: chunked")
        if status >= 400 {
            while try readMore() {}
            _ = try checkedReply(try BerthClient.parseResponse(raw, socket: socketPath))
            return status
        }
        var rest = Array(raw[(end + 4)...])
        try onReply?()
        if upgrade, status == 101, let stdin {
            let out = dup(fd)
            _ = try DedicatedThread.spawn(joinable: false) {
                while true {
                    let bytes: [UInt8]
                    do {
                        // Blocking reads: a nil (EAGAIN) from a non-blocking stdin is retried after poll.
                        guard let b = try Processes.read(stdin) else {
                            _ = Processes.pollReadable([stdin], timeoutMs: 1000)
                            continue
                        }
                        bytes = b
                    } catch { break }
                    if bytes.isEmpty { break }
                    if (try? Processes.writeAll(out, bytes)) == nil { break }
                }
                UnixSocket.closeWrite(out)
                Syscall.close(out)
            }
        }
        if !chunked {
            // Content-Length bodies of streaming endpoints are small (e.g. an empty 200); raw streams run to close.
            if !rest.isEmpty { try onData(rest) }
            while true {
                raw = []
                if !(try readMore()) { break }
                try onData(raw)
            }
            return status
        }
        // Chunked: decode as chunks complete.
        while true {
            while let lineEnd = rest.firstIndex(of: 13), lineEnd + 1 < rest.count {
                let sizeText = String(decoding: rest[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw BerthError(.system, "berthd sent a malformed chunked reply")
                }
                if size == 0 { return status }
                guard rest.count >= lineEnd + 2 + size + 2 else { break }
                try onData(Array(rest[(lineEnd + 2)..<(lineEnd + 2 + size)]))
                rest.removeFirst(lineEnd + 2 + size + 2)
            }
            raw = []
            if !(try readMore()) { return status }
            rest += raw
        }
    }

    func checkedReply(_ reply: Reply) throws -> [UInt8] {
        guard (200..<300).contains(reply.status) else {
            let message =
                (try? JSONDecoder().decode(ErrorResponse.self, from: Data(reply.body)).message)
                ?? String(decoding: reply.body, as: UTF8.self)
            throw BerthError(BerthClient.code(forStatus: reply.status), message, causeText: BerthClient.daemonCause(reply.status))
        }
        return reply.body
    }
}

extension BerthClient {
    /// GET/POST/DELETE with an optional JSON body, decoding a JSON reply.
    public func call<T: Decodable>(_ method: String, _ path: String, body: (some Encodable)? = nil as String?, as type: T.Type) throws -> T {
        let bytes = try body.map { Array(try JSONEncoder().encode($0)) }
        return try decode(type, try checked(method, path, body: bytes))
    }

    /// A call whose reply body does not matter; 304 (nothing to do) counts as success.
    public func send(_ method: String, _ path: String, body: (some Encodable)? = nil as String?) throws {
        let bytes = try body.map { Array(try JSONEncoder().encode($0)) }
        let reply = try request(method, path, body: bytes)
        if reply.status == 304 { return }
        _ = try checkedReply(reply)
    }

    /// Raw bytes as the body (image archives).
    public func upload(_ path: String, bytes: [UInt8]) throws -> [UInt8] {
        try checked("POST", path, body: bytes)
    }

    public static func escapePath(_ s: String) -> String { pathEscape(s) }
    public static func escapeQuery(_ s: String) -> String { queryEscape(s) }
}

/// Splits Docker's multiplexed stream (8-byte headers) back into stdout and stderr.
public struct StreamDemultiplexer {
    var buffer: [UInt8] = []

    public init() {}

    /// Feeds bytes; returns complete frames (stream 1 stdout, 2 stderr).
    public mutating func feed(_ bytes: [UInt8]) -> [(stream: UInt8, payload: [UInt8])] {
        buffer += bytes
        var out: [(UInt8, [UInt8])] = []
        while buffer.count >= 8 {
            let n = Int(buffer[4]) << 24 | Int(buffer[5]) << 16 | Int(buffer[6]) << 8 | Int(buffer[7])
            guard buffer.count >= 8 + n else { break }
            out.append((buffer[0], Array(buffer[8..<(8 + n)])))
            buffer.removeFirst(8 + n)
        }
        return out
    }
}
