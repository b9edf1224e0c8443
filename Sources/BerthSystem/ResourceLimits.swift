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
