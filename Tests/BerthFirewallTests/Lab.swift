import BerthCore
import BerthSystem
import BerthTestSupport
import Testing

/// A throwaway network laboratory for the privileged tests: scratch namespaces, tiny Python servers
/// running inside them, and a probe client with a timeout. `close()` kills every server it started and
/// deletes every namespace, so tests call it in a `defer` and leave nothing behind even when they fail.
final class Lab: @unchecked Sendable {
    let directory: String
    private(set) var namespaces: [String: ScratchNamespace] = [:]
    private var pids: [Int32] = []

    /// A TCP and UDP server that answers every connection or datagram with its name and the peer
    /// address it saw, so a test can tell which namespace answered and whether the source was NAT'ed.
    static let server = """
        import socket, sys, threading
        name, addr, tcp_port, udp_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        def tcp():
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, tcp_port)); s.listen(16)
            while True:
                c, a = s.accept(); c.sendall(("%s %s\\n" % (name, a[0])).encode()); c.close()
        def udp():
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, udp_port))
            while True:
                d, a = u.recvfrom(512); u.sendto(("%s %s\\n" % (name, a[0])).encode(), a)
        threading.Thread(target=udp, daemon=True).start()
        tcp()
        """

    /// Connects (tcp) or sends one datagram (udp) and prints the answer followed by `@ip:port` of the
    /// socket that answered; prints `FAIL <reason>` and exits 1 when nothing answers in time.
    static let probe = """
        import socket, sys
        proto, host, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        try:
            if proto == "tcp":
                s = socket.create_connection((host, port), timeout=timeout); s.settimeout(timeout)
                data, peer = s.recv(256), s.getpeername()
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(timeout)
                s.sendto(b"?", (host, port)); data, peer = s.recvfrom(256)
            print("%s @%s:%d" % (data.decode().strip(), peer[0], peer[1]))
        except Exception as e:
            print("FAIL", type(e).__name__); sys.exit(1)
        """

    init() throws {
        try TestSupport.requireRoot()
        directory = try TestSupport.makeTempDirectory(prefix: "berth-fwtest")
        do {
            try FileSystem.writeFile(directory + "/server.py", Array(Self.server.utf8))
            try FileSystem.writeFile(directory + "/probe.py", Array(Self.probe.utf8))
        } catch {
            TestSupport.removeTree(directory)
            throw error
        }
    }

    /// A new scratch namespace (lo up) known by `name` in this lab.
    @discardableResult
    func namespace(_ name: String) throws -> ScratchNamespace {
        let ns = try ScratchNamespace(name: name)
        namespaces[name] = ns
        return ns
    }

    subscript(name: String) -> ScratchNamespace {
        guard let ns = namespaces[name] else { preconditionFailure("no namespace \(name) in this lab") }
        return ns
    }

    /// Runs a shell command inside a namespace and fails the test with its stderr if it fails.
    @discardableResult
    func sh(_ name: String, _ command: String) throws -> String {
        let r = try self[name].sh(command)
        guard r.succeeded else {
            throw BerthError(.system, "`\(command)` failed in \(name) with status \(r.status)", causeText: r.stderr)
        }
        return r.stdout
    }

    /// Starts the answering server in a namespace, in the background, and waits until it answers.
    func startServer(in name: String, address: String = "0.0.0.0", tcpPort: UInt16 = 80, udpPort: UInt16 = 53)
        throws
    {
        let out = try sh(
            name,
            "python3 \(directory)/server.py \(name) \(address) \(tcpPort) \(udpPort) </dev/null >/dev/null 2>&1 & echo $!"
        )
        guard let pid = Int32(out.filter { !$0.isWhitespace }) else {
            throw BerthError(.internalError, "could not start the server in \(name): \(out)")
        }
        pids.append(pid)
        let target = address == "0.0.0.0" ? "127.0.0.1" : address
        for _ in 0..<100 {
            if probe(from: name, .tcp, target, tcpPort, timeout: 0.2) != nil { return }
            try self[name].sh("sleep 0.05")
        }
        throw BerthError(.system, "the test server in \(name) did not start listening on \(target):\(tcpPort)")
    }

    /// The answer (`<server name> <peer it saw> @<ip>:<port>`) of a probe from namespace `name`, or nil
    /// when nothing answered within `timeout` seconds (dropped, refused or unreachable).
    func probe(from name: String, _ proto: TransportProtocolName, _ host: String, _ port: UInt16, timeout: Double = 1)
        -> String?
    {
        // `timeout` bounds the whole client even if Python itself hangs.
        let command =
            "timeout \(Int(timeout) + 3) python3 \(directory)/probe.py \(proto) \(host) \(port) \(timeout)"
        guard let r = try? self[name].sh(command), r.succeeded else { return nil }
        let line = r.stdout.filter { $0 != "\n" }
        return line.isEmpty ? nil : line
    }

    /// Kills the servers, deletes the namespaces and the directory. Safe to call twice.
    func close() {
        for pid in pids { _ = try? TestSupport.sh("kill \(pid) 2>/dev/null") }
        pids = []
        for ns in namespaces.values { ns.close() }
        namespaces = [:]
        TestSupport.removeTree(directory)
    }
}

/// The probe's protocol argument.
enum TransportProtocolName: String, CustomStringConvertible {
    case tcp, udp
    var description: String { rawValue }
}
