import CBerthSystem

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// Unix stream sockets by path (paths longer than `sun_path` work too): the console socket the
/// runtime hands a terminal to, and a container's attach socket.
public enum UnixSocket {
    /// A listening socket at `path` (a stale file is replaced; mode 0600).
    public static func listen(_ path: String) throws(SystemCallError) -> Int32 {
        try Syscall.retrying("listen on \(path)") { berth_unix_listen(path) }
    }

    public static func connect(_ path: String) throws(SystemCallError) -> Int32 {
        try Syscall.retrying("connect to \(path)") { berth_unix_connect(path) }
    }

    public static func accept(_ fd: Int32) throws(SystemCallError) -> Int32 {
        try Syscall.retrying("accept") { berth_accept(fd) }
    }

    /// One descriptor received with SCM_RIGHTS (close-on-exec).
    public static func receiveDescriptor(_ fd: Int32) throws(SystemCallError) -> Int32 {
        try Syscall.retrying("recvmsg (SCM_RIGHTS)") { berth_recv_fd(fd) }
    }

    /// shutdown(SHUT_WR): the peer reads end of file, replies still arrive.
    public static func closeWrite(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_WR))
    }
}

/// Terminal settings: window size and raw mode.
public enum Terminal {
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Rows and columns of the terminal on `fd`, or nil when it is not one.
    public static func size(_ fd: Int32) -> (rows: UInt16, cols: UInt16)? {
        var r: UInt16 = 0
        var c: UInt16 = 0
        return berth_get_winsize(fd, &r, &c) == 0 ? (r, c) : nil
    }

    public static func setSize(_ fd: Int32, rows: UInt16, cols: UInt16) throws(SystemCallError) {
        try Syscall.retrying("ioctl(TIOCSWINSZ)") { berth_set_winsize(fd, rows, cols) }
    }

    /// Puts the terminal on `fd` in raw mode; returns the settings to restore.
    public static func makeRaw(_ fd: Int32) -> termios? {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        return saved
    }

    public static func restore(_ fd: Int32, _ settings: termios) {
        var s = settings
        _ = tcsetattr(fd, TCSANOW, &s)
    }
}

extension Processes {
    /// Writes what a non-blocking descriptor takes now; returns how many bytes went (0 when full).
    public static func writeSome(_ fd: Int32, _ bytes: ArraySlice<UInt8>) throws(SystemCallError) -> Int {
        guard !bytes.isEmpty else { return 0 }
        while true {
            let n = bytes.withUnsafeBytes { libcWrite(fd, $0) }
            if n >= 0 { return n }
            let e = Errno.current
            if e == .EINTR { continue }
            if e == .EAGAIN { return 0 }
            throw SystemCallError(call: "write", errno: e)
        }
    }
}
