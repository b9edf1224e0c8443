#if canImport(Glibc)
import Glibc
#endif

/// Reads the calling process's resource limits (`getrlimit(2)`), so a container never asks for more
/// than berth itself may grant: raising a hard limit needs CAP_SYS_RESOURCE, which berth may not have.
public enum ResourceLimits {
    /// A soft/hard pair; `UInt64.max` is `RLIM_INFINITY`.
    public struct Limit: Sendable, Equatable {
        public var soft: UInt64
        public var hard: UInt64

        public init(soft: UInt64, hard: UInt64) {
            self.soft = soft
            self.hard = hard
        }
    }

    /// `ulimit -Sn` / `ulimit -Hn`: the limits on open file descriptors (RLIMIT_NOFILE).
    public static func openFiles() throws -> Limit {
        var rl = rlimit()
        try Syscall.retrying("getrlimit RLIMIT_NOFILE") { getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl) }
        return Limit(soft: UInt64(rl.rlim_cur), hard: UInt64(rl.rlim_max))
    }
}

extension FileSystem {
    /// `rmdir(2)`: removes an empty directory, such as a cgroup a container left behind (cgroup
    /// directories hold pseudo-files that cannot be unlinked, so recursive removal would fail).
    /// Already gone is success.
    public static func removeDirectory(_ path: String) throws {
        if rmdir(path) != 0 {
            let e = Errno.current
            if e != .ENOENT { throw SystemCallError(call: "rmdir \(path)", errno: e) }
        }
    }
}

/// Descriptor numbers. glibc's `FD_SET` aborts the process for a descriptor of 1024 or more, and some
/// libraries still use select(2) (libnftables does), so descriptors berth keeps for long (port
/// reservations, resolver sockets) are moved above 1024, leaving the low numbers to short-lived ones.
public enum Descriptors {
    /// The select(2) limit.
    public static let selectLimit: Int32 = 1024

    /// `fd` renumbered to 1024 or above (close-on-exec), the old number closed. Unchanged when the
    /// open-files limit does not reach that far.
    public static func moveHigh(_ fd: Int32) -> Int32 {
        guard fd >= 0, fd < selectLimit else { return fd }
        let high = fcntl(fd, F_DUPFD_CLOEXEC, selectLimit)
        guard high >= 0 else { return fd }
        Syscall.close(fd)
        return high
    }

    /// The lowest descriptor number free now (what the next socket(2) or open(2) would get).
    public static func lowestFree() -> Int32 {
        let fd = fcntl(0, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { return Int32.max }
        Syscall.close(fd)
        return fd
    }
}
