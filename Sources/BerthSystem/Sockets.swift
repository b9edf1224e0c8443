#if canImport(Glibc)
import Glibc
#endif

/// IPv4 sockets bound in the calling thread's network namespace.
public enum Sockets {
    public enum Kind: Sendable {
        case tcp, udp
    }

    /// `socket(AF_INET, …)` + `bind(address:port)` without SO_REUSEADDR (so the port is held exclusively);
    /// port 0 lets the kernel choose. Returns the descriptor and the bound port.
    public static func bindIPv4(_ kind: Kind, address: UInt32, port: UInt16, nonBlocking: Bool = false) throws
        -> (fd: Int32, port: UInt16)
    {
        let type = (kind == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue))
            | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        // Only for error messages, so made only when one is needed (a run of 1,000 ports binds 1,000).
        func what() -> String {
            "\(kind == .udp ? "udp" : "tcp")/\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff):\(port)"
        }
        let fd = try Syscall.retrying("socket for \(what())") { socket(AF_INET, type, 0) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = address.bigEndian
        do {
            _ = try withUnsafePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try Syscall.retrying("bind \(what())") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            // A fixed port is the one bound; only port 0 needs asking which one the kernel chose.
            if port != 0 { return (fd, port) }
            var out = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = try withUnsafeMutablePointer(to: &out) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try Syscall.retrying("getsockname \(what())") { getsockname(fd, sa, &len) }
                }
            }
            return (fd, UInt16(bigEndian: out.sin_port))
        } catch {
            Syscall.close(fd)
            throw error
        }
    }
}
