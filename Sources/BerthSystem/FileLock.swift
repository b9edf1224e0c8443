#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on a file, released when `unlock()` is called or the process dies —
/// so a crashed holder never leaves a stale lock behind (unlike pid files).
public final class FileLock: @unchecked Sendable {
    // The descriptor is only touched in init and unlock, which callers do not race.
    private var fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Takes the lock, waiting for it if `wait`, else failing with EWOULDBLOCK (EAGAIN) when it is held.
    public static func acquire(_ path: String, wait: Bool = true) throws -> FileLock {
        try FileSystem.makeDirectories(parentOf: path)
        let fd = try Syscall.retrying("open \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            try Syscall.retrying("flock \(path)") { flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) }
        } catch {
            Syscall.close(fd)
            throw error
        }
        return FileLock(fd: fd, path: path)
    }

    public func unlock() {
        guard fd >= 0 else { return }
        Syscall.close(fd)
        fd = -1
    }

    deinit { unlock() }
}
