import BerthAddressing
import BerthCore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// Holds published host ports: berthd binds each one (without listening) in the host namespace, so
/// no other process can take a port while a container publishes it, and a port some other program
/// already uses is refused up front — with the name of the port, not a rule that silently loses.
///
/// Sockets are bound without SO_REUSEADDR: Linux lets a second socket share a port only when both set
/// it, so even servers that set SO_REUSEADDR get EADDRINUSE.
public final class PortReservations: @unchecked Sendable {
    // Guarded by `lock`.
    private var held: [Key: Int32] = [:]
    private let lock = ProcessLock()
    let namespace: NetworkNamespace
    /// Whether `namespace` is berthd's own: then sockets are bound on the calling thread.
    private let inOwnNamespace: Bool

    init(namespace: NetworkNamespace) {
        self.namespace = namespace
        inOwnNamespace = namespace.path == NetworkNamespace.current.path
    }

    /// A held port: protocol, host address (0 = every address) and port. A value, not text, so
    /// a container publishing a thousand ports costs no string building per port.
    public struct Key: Hashable, Sendable {
        public var proto: String
        public var address: UInt32
        public var port: UInt16

        public init(proto: String, hostIP: IPv4Address?, port: UInt16) {
            self.proto = proto
            address = hostIP?.value ?? 0
            self.port = port
        }
    }

    static func key(_ proto: String, _ ip: IPv4Address?, _ port: UInt16) -> Key { Key(proto: proto, hostIP: ip, port: port) }

    /// Binds the port (port 0: the kernel picks a free ephemeral one) and returns the bound port.
    public func reserve(proto: String, hostIP: IPv4Address?, port: UInt16, owner: String) throws -> UInt16 {
        let fd: Int32
        let bound: UInt16
        let work = { () throws -> (Int32, UInt16) in try PortReservations.bind(proto: proto, ip: hostIP, port: port) }
        do {
            (fd, bound) = inOwnNamespace ? try work() : try namespace.run(work)
        } catch let e as SystemCallError where e.errno == .EADDRINUSE {
            throw BerthError.conflict(
                "cannot publish \(hostIP?.description ?? "0.0.0.0"):\(port)/\(proto) for \(owner): the port is already in use on the host; choose another host port or stop what uses it")
        } catch let e as SystemCallError where e.errno == .EADDRNOTAVAIL {
            throw BerthError.invalid(
                "cannot publish on \(hostIP?.description ?? "?"):\(port): that address is not one of the host's")
        }
        lock.withLock { held[PortReservations.key(proto, hostIP, bound)] = fd }
        return bound
    }

    /// Closes the reservation; unknown ports are ignored (release is idempotent).
    public func release(proto: String, hostIP: IPv4Address?, port: UInt16) {
        let fd = lock.withLock { held.removeValue(forKey: PortReservations.key(proto, hostIP, port)) }
        if let fd { Syscall.close(fd) }
    }

    public var count: Int { lock.withLock { held.count } }

    /// The reservation socket of a held port, to hand to a process that keeps it (the container's monitor).
    public func descriptor(proto: String, hostIP: IPv4Address?, port: UInt16) -> Int32? {
        lock.withLock { held[PortReservations.key(proto, hostIP, port)] }
    }

    /// Closes the reservations of `keys` under one lock; unknown ports are ignored.
    public func release(_ keys: [Key]) {
        let fds = lock.withLock { keys.compactMap { held.removeValue(forKey: $0) } }
        for fd in fds { Syscall.close(fd) }
    }

    /// The reservation sockets of those of `keys` that are held, in order (one lock for all).
    public func descriptors(_ keys: [Key]) -> [Int32] {
        lock.withLock { keys.compactMap { held[$0] } }
    }

    /// Forgets a port another process now holds (closes berthd's copy only).
    public func handedOver(proto: String, hostIP: IPv4Address?, port: UInt16) { release(proto: proto, hostIP: hostIP, port: port) }

    /// Forgets ports another process now holds (closes berthd's copies only).
    public func handedOver(_ keys: [Key]) { release(keys) }

    static func bind(proto: String, ip: IPv4Address?, port: UInt16) throws -> (Int32, UInt16) {
        let s = try Sockets.bindIPv4(proto == "udp" ? .udp : .tcp, address: ip?.value ?? 0, port: port)
        return (Descriptors.moveHigh(s.fd), s.port)
    }
}

/// A plain pthread mutex, for state shared with non-async callers.
final class ProcessLock: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}
