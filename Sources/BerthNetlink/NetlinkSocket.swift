import BerthSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A NETLINK_ROUTE socket bound in one network namespace.
///
/// The socket is created on a dedicated thread that has entered the namespace (`NetworkNamespace.run`),
/// never on the calling thread, and is used from any thread afterwards: a socket keeps the namespace it was
/// created in. Created with SOCK_CLOEXEC so helper processes never inherit it.
public final class NetlinkSocket: NetlinkTransport {
    private var fd: Int32
    /// The port id the kernel assigned.
    public private(set) var portID: UInt32
    /// The namespace the socket lives in; nil for the namespace of the process.
    public let namespace: NetworkNamespace?
    private var buffer: [UInt8] = Array(repeating: 0, count: 32 * 1024)

    /// How long `receive` waits for the kernel. Replies are immediate unless the RTNL lock is contended
    /// (another process deleting many interfaces), so this only guards against waiting forever.
    public static let receiveTimeoutSeconds = 30

    // linux/netlink.h and linux/socket.h values that Glibc's Swift module does not expose.
    private static let netlinkRoute: Int32 = 0  // NETLINK_ROUTE
    private static let solNetlink: Int32 = 270  // SOL_NETLINK
    private static let netlinkCapAck: Int32 = 10  // NETLINK_CAP_ACK
    private static let netlinkExtAck: Int32 = 11  // NETLINK_EXT_ACK
    private static let netlinkGetStrictCheck: Int32 = 12  // NETLINK_GET_STRICT_CHK
    private static let addressLength = socklen_t(12)  // sizeof(struct sockaddr_nl)

    /// Opens a socket in `namespace` (entering it on a dedicated thread), or in the process's namespace
    /// when nil.
    public init(namespace: NetworkNamespace? = nil) throws {
        self.namespace = namespace
        (fd, portID) = try NetlinkSocket.open(in: namespace)
    }

    deinit { Syscall.close(fd) }

    private static func open(in namespace: NetworkNamespace?) throws -> (Int32, UInt32) {
        if let namespace { return try namespace.run { try openHere() } }
        return try openHere()
    }

    /// Creates, configures and binds a socket in the calling thread's namespace.
    private static func openHere() throws(SystemCallError) -> (Int32, UInt32) {
        let fd = try Syscall.retrying("socket(AF_NETLINK, NETLINK_ROUTE)") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkRoute)
        }
        do {
            // Optional features: older kernels answer ENOPROTOOPT and berth works without them.
            // EXT_ACK: errors carry the kernel's explanation. CAP_ACK: errors do not echo our whole request.
            // GET_STRICT_CHK: the kernel rejects malformed GET requests instead of guessing, and honours the
            // filters in dump headers.
            for option in [netlinkExtAck, netlinkCapAck, netlinkGetStrictCheck] {
                var one: Int32 = 1
                _ = setsockopt(fd, solNetlink, option, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
            try Syscall.retrying("setsockopt(SO_RCVTIMEO)") {
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
            // nl_pid 0: the kernel assigns a unique port id.
            var address = netlinkAddress(portID: 0)
            let length = NetlinkSocket.addressLength
            try Syscall.retrying("bind netlink socket") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
                }
            }
            var bound = sockaddr_storage()
            var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try Syscall.retrying("getsockname netlink socket") {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
                }
            }
            return (fd, portOf(bound))
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// `struct sockaddr_nl` { nl_family, nl_pad, nl_pid, nl_groups } laid out in a sockaddr_storage
    /// (Glibc's Swift module does not import linux/netlink.h).
    private static func netlinkAddress(portID: UInt32) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
            raw.storeBytes(of: portID, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)
        }
        return storage
    }

    /// `nl_pid` of a `sockaddr_nl` held in a sockaddr_storage.
    private static func portOf(_ storage: sockaddr_storage) -> UInt32 {
        withUnsafeBytes(of: storage) { $0.load(fromByteOffset: 4, as: UInt32.self) }
    }

    /// Sends to the kernel (port 0).
    public func send(_ bytes: [UInt8]) throws(SystemCallError) {
        var kernel = NetlinkSocket.netlinkAddress(portID: 0)
        let length = NetlinkSocket.addressLength
        let fd = self.fd
        try Syscall.retrying("send netlink request") {
            bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, length)
                    }
                }
            }
        }
    }

    /// Receives one datagram whole: its size is peeked first (MSG_PEEK|MSG_TRUNC reports the full length),
    /// so a reply larger than the buffer grows the buffer instead of being cut off.
    public func receive() throws(SystemCallError) -> (bytes: [UInt8], senderPortID: UInt32) {
        let fd = self.fd
        let size = try Syscall.retrying("receive netlink reply") {
            recv(fd, nil, 0, Int32(MSG_PEEK) | Int32(MSG_TRUNC))
        }
        if size > buffer.count { buffer = Array(repeating: 0, count: size) }
        var sender = sockaddr_storage()
        var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let received = try Syscall.retrying("receive netlink reply") {
            buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &senderLength)
                    }
                }
            }
        }
        return (Array(buffer[0..<min(received, buffer.count)]), NetlinkSocket.portOf(sender))
    }

    /// Closes the socket and opens a fresh one in the same namespace.
    public func reopen() throws {
        let (newFD, newPort) = try NetlinkSocket.open(in: namespace)
        Syscall.close(fd)
        fd = newFD
        portID = newPort
    }
}
