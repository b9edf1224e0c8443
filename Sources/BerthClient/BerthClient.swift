import BerthAPI
import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A typed client of berthd's API over its unix socket: plain blocking HTTP/1.1, one connection per call
/// (the CLI makes a handful of calls; no event loop is worth its start-up time here).
public struct BerthClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// `BERTH_HOST=unix:///path`, else `$BERTH_RUN/berth.sock`, else /run/berth/berth.sock.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let host = environment["BERTH_HOST"], host.hasPrefix("unix://") { return String(host.dropFirst("unix://".count)) }
        let run = environment["BERTH_RUN"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/berth"
        return run + "/berth.sock"
    }

    /// A raw reply.
    public struct Reply: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    // MARK: typed calls

    public func ping() throws -> Bool { try request("GET", "/_ping").status == 200 }

    /// Whether something accepts connections on the socket (no request is sent): the CLI's cheap
    /// check before its first real request.
    public func acceptsConnections() -> Bool {
        guard let fd = try? connect() else { return false }
        Syscall.close(fd)
        return true
    }

    public func version() throws -> VersionResponse { try decode(VersionResponse.self, try checked("GET", "/version")) }

    public func info() throws -> InfoResponse { try decode(InfoResponse.self, try checked("GET", "/info")) }

    public func listNetworks(filters: NetworkFilters = NetworkFilters()) throws -> [NetworkResource] {
        let q = filters.isEmpty ? "" : "?filters=" + BerthClient.queryEscape(filters.json)
        return try decode([NetworkResource].self, try checked("GET", "/networks" + q))
    }

    public func inspectNetwork(_ ref: String) throws -> NetworkResource {
        try decode(NetworkResource.self, try checked("GET", "/networks/" + BerthClient.pathEscape(ref)))
    }

    public func createNetwork(_ request: NetworkCreateRequest) throws -> NetworkCreateResponse {
        let body = try JSONEncoder().encode(request)
        return try decode(NetworkCreateResponse.self, try checked("POST", "/networks/create", body: Array(body)))
    }

    public func removeNetwork(_ ref: String) throws {
        _ = try checked("DELETE", "/networks/" + BerthClient.pathEscape(ref))
    }

    public func pruneNetworks(filters: NetworkFilters = NetworkFilters()) throws -> NetworkPruneResponse {
        let q = filters.isEmpty ? "" : "?filters=" + BerthClient.queryEscape(filters.json)
        return try decode(NetworkPruneResponse.self, try checked("POST", "/networks/prune" + q))
    }

    /// berth's own `GET /berth/doctor`.
    public func doctor(fix: Bool = false) throws -> [DoctorCheck] {
        try decode([DoctorCheck].self, fix ? try checked("POST", "/berth/doctor/fix") : try checked("GET", "/berth/doctor"))
    }

    // MARK: HTTP

    /// A request whose non-2xx reply becomes a `BerthError` carrying the daemon's message.
    public func checked(_ method: String, _ path: String, body: [UInt8]? = nil) throws -> [UInt8] {
        try checkedReply(try request(method, path, body: body))
    }

    static func code(forStatus status: Int) -> BerthError.Code {
        switch status {
        case 304: .notModified
        case 400, 413: .invalidArgument
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 501: .notImplemented
        default: .system
        }
    }

    /// The cause text marking an error as the daemon's reply (so the CLI can say "Error response from daemon").
    public static func daemonCause(_ status: Int) -> String { "HTTP \(status) from berthd" }

    /// Whether an error is the daemon's answer rather than a local failure.
    public static func isDaemonError(_ e: BerthError) -> Bool { e.cause?.hasSuffix("from berthd") == true }

    func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw BerthError(.system, "berthd sent a reply berth cannot read (\(BerthClient.decodingProblem(error)))", cause: error)
        }
    }

    /// Where and why a reply did not decode, in one line (the field's path and what was wrong).
    static func decodingProblem(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        }
        switch error as? DecodingError {
        case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?:
            return "\(path(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let key, let c)?:
            return "\(path(c.codingPath + [key])): missing"
        default:
            return "\(error)"
        }
    }

    /// One HTTP/1.1 exchange on a fresh connection.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws -> Reply {
        let fd = try connect()
        defer { Syscall.close(fd) }
        try writeAll(fd, BerthClient.requestHead(method, path, body: body, upgrade: false) + (body ?? []))
        var raw: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buf.withUnsafeMutableBytes { p in
                try Syscall.retrying("read from \(socketPath)") { read(fd, p.baseAddress, p.count) }
            }
            if n == 0 { break }
            raw += buf[0..<n]
        }
        return try BerthClient.parseResponse(raw, socket: socketPath)
    }

    /// The request line and headers (the connection closes after the reply, or is upgraded).
    static func requestHead(_ method: String, _ path: String, body: [UInt8]?, upgrade: Bool) -> [UInt8] {
        var head = "\(method) /v\(BerthVersion.apiVersion)\(path) HTTP/1.1\r\nHost: berth\r\nUser-Agent: berth-cli/\(BerthVersion.version)\r\n"
        head += upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n"
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method == "POST" {
            head += "Content-Length: 0\r\n"
        }
        return Array((head + "\r\n").utf8)
    }

    func connect() throws -> Int32 {
        let fd = try Syscall.retrying("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Syscall.close(fd)
            throw BerthError.invalid("socket path \(socketPath) is too long for a unix socket")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = Errno.current
            Syscall.close(fd)
            throw BerthClientError.cannotConnect(socketPath: socketPath, errno: e)
        }
        // A daemon that hangs must not hang the CLI forever.
        var tv = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try bytes[offset...].withUnsafeBytes { p in
                try Syscall.retrying("write to \(socketPath)") { write(fd, p.baseAddress, p.count) }
            }
            offset += n
        }
    }

    /// Parses status line, headers and a Content-Length, chunked or read-to-close body.
    static func parseResponse(_ raw: [UInt8], socket: String) throws -> Reply {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.indices.first(where: { raw[$0...].starts(with: sep) }) else {
            throw BerthError(.system, "berthd closed the connection on \(socket) without a reply; see its log")
        }
        let headText = String(decoding: raw[..<end], as: UTF8.self)
        let lines = headText.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw BerthError(.system, "berthd sent a malformed reply: \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        } else if let len = headers["content-length"].flatMap(Int.init), len <= body.count {
            body = Array(body.prefix(len))
        }
        return Reply(status: status, body: body)
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = data[i...].firstIndex(of: 13) else { break }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw BerthError(.system, "berthd sent a malformed chunked reply")
            }
            i = lineEnd + 2
            if size == 0 { break }
            guard i + size <= data.count else { throw BerthError(.system, "berthd's reply was cut short") }
            out += data[i..<(i + size)]
            i += size + 2
        }
        return out
    }

    static func pathEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? s
    }

    static func queryEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}

/// Failures reaching the daemon at all.
public enum BerthClientError: Error, CustomStringConvertible {
    case cannotConnect(socketPath: String, errno: Errno)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let e):
            "cannot connect to berthd at unix://\(path): \(e.message); is berthd running? (start it with `berthd`, or let `berth` start it: unset BERTH_NO_AUTOSTART)"
        }
    }
}
