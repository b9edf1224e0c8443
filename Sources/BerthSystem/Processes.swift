import CBerthSystem

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// Process plumbing for the container monitor and the engine: pipes, spawning with chosen
/// descriptors, reaping, signals. Everything returns typed errors; EINTR is retried.
public enum Processes {
    /// A pipe whose both ends are close-on-exec (spawn hands ends to children explicitly).
    public static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try Syscall.retrying("pipe2") { berth_pipe2(&fds, O_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Starts `argv` with the given descriptors as its stdin/stdout/stderr (nil = /dev/null) and
    /// `inherit` passed through at the same numbers; everything else stays closed (close-on-exec).
    public static func spawn(
        _ argv: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil, inherit: [Int32] = [],
        environment: [String]? = nil, newSession: Bool = false
    ) throws(SystemCallError) -> pid_t {
        precondition(!argv.isEmpty, "spawn needs a program")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, fd) in [stdin, stdout, stderr].enumerated() {
            if let fd {
                posix_spawn_file_actions_adddup2(&actions, fd, Int32(target))
            } else {
                posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // dup2 onto itself clears FD_CLOEXEC in the child (glibc ≥ 2.29), so these survive exec.
        for fd in inherit where fd > 2 { posix_spawn_file_actions_adddup2(&actions, fd, fd) }
        return try Subprocess.spawn(argv, actions: &actions, environment: environment, newSession: newSession)
    }

    /// prctl(PR_SET_CHILD_SUBREAPER): the container's process, once its runtime exits, becomes our child.
    public static func becomeSubreaper() throws(SystemCallError) {
        try Syscall.retrying("prctl(PR_SET_CHILD_SUBREAPER)") { berth_set_child_subreaper() }
    }

    /// Shell-style status of a wait status word: the exit code, or 128 + signal.
    public static func shellStatus(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Waits for `pid` (blocking) and returns its shell-style status.
    public static func wait(_ pid: pid_t) throws(SystemCallError) -> Int32 {
        var status: Int32 = 0
        try Syscall.retrying("waitpid \(pid)") { waitpid(pid, &status, 0) }
        return shellStatus(status)
    }

    /// Hands freed heap memory back to the kernel (malloc_trim), after a burst of work.
    public static func returnFreedMemory() { _ = berth_malloc_trim() }

    /// Makes glibc's malloc hand large blocks back as they are freed, for a long-lived daemon: blocks
    /// of 128 KiB or more are their own mappings, and a heap's free top beyond 128 KiB is returned.
    /// These are glibc's starting values; setting them stops glibc from raising both after the first
    /// large block is freed (to 8 MiB and 16 MiB after an image import), after which every thread's
    /// heap kept megabytes it no longer used (berthd idle: 12 MB of heap, 3 MB in use).
    public static func keepHeapsTrim() { _ = berth_malloc_fixed_thresholds(128 * 1024) }

    /// Reaps one finished child without blocking: its pid and shell-style status, or nil when none is ready.
    public static func reapAny() -> (pid: pid_t, status: Int32)? {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 { return (pid, shellStatus(status)) }
            if pid < 0 && Errno.current == .EINTR { continue }
            return nil
        }
    }

    /// Ignores `sig` from now on (and in children until they exec; posix_spawn resets it, see `Subprocess`).
    public static func ignoreSignal(_ sig: Int32) { _ = berth_ignore_signal(sig) }

    /// Whether a process exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && Errno.current != .EPERM { return false }
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else {
            return false
        }
        let rest = stat[stat.index(after: close)...].drop(while: { $0 == " " })
        return rest.first != "Z" && rest.first != "X"
    }

    /// Sends a signal; a process that is already gone counts as success.
    public static func signal(_ pid: pid_t, _ sig: Int32) throws(SystemCallError) {
        if kill(pid, sig) != 0 {
            let e = Errno.current
            if e != .ESRCH { throw SystemCallError(call: "kill \(pid)", errno: e) }
        }
    }

    /// The argument vector of a running process, from /proc.
    public static func commandLine(of pid: pid_t) -> [String]? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/cmdline"), !bytes.isEmpty else { return nil }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Reads what is available on a descriptor: bytes, or empty at end of file. EAGAIN gives nil.
    public static func read(_ fd: Int32, max: Int = 65536) throws(SystemCallError) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            let n = buf.withUnsafeMutableBytes { libcRead(fd, $0) }
            if n >= 0 { return Array(buf[0..<n]) }
            let e = Errno.current
            if e == .EINTR { continue }
            if e == .EAGAIN { return nil }
            throw SystemCallError(call: "read", errno: e)
        }
    }

    /// Like `read`, for a pump that has no use for the error: a failed read (a terminal whose other
    /// side closed reads EIO) is the end, like end of file (empty). nil: nothing available now.
    public static func readOrEnd(_ fd: Int32) -> [UInt8]? {
        do { return try read(fd) } catch { return [] }
    }

    /// Writes all of `bytes` (blocking descriptor).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemCallError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { libcWrite(fd, $0) }
            if n < 0 {
                if Errno.current == .EINTR { continue }
                throw SystemCallError(call: "write", errno: .current)
            }
            sent += n
        }
    }

    /// poll(2) for readability on `fds`; returns those readable or hung up. Timeout in milliseconds.
    public static func pollReadable(_ fds: [Int32], timeoutMs: Int32) -> [Int32] {
        var p = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let n = poll(&p, nfds_t(p.count), timeoutMs)
        guard n > 0 else { return [] }
        return p.filter { $0.revents != 0 }.map { $0.fd }
    }

    /// poll(2) for readability on `readable` and writability on `writable`; returns the descriptors
    /// that are ready (or hung up / in error). `timeoutMs` -1 blocks until one is; EINTR returns none.
    public static func pollReady(readable: [Int32], writable: [Int32] = [], timeoutMs: Int32) -> [Int32] {
        var p = readable.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        p += writable.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
        let n = poll(&p, nfds_t(p.count), timeoutMs)
        guard n > 0 else { return [] }
        return p.filter { $0.revents != 0 }.map { $0.fd }
    }

    /// A descriptor that becomes readable when a child of this process ends (a SIGCHLD handler writes
    /// to a pipe; see `berth_child_exit_pipe`), for a loop that polls descriptors and reaps children
    /// without waking up on a timer. Read it empty with `drainChildExits` before reaping.
    public static func childExitDescriptor() throws(SystemCallError) -> Int32 {
        let fd = berth_child_exit_pipe()
        guard fd >= 0 else { throw SystemCallError(call: "sigaction SIGCHLD", errno: .current) }
        return fd
    }

    /// Empties the `childExitDescriptor` pipe (non-blocking).
    public static func drainChildExits(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 64)
        while buf.withUnsafeMutableBytes({ libcRead(fd, $0) }) > 0 {}
    }

    public static func setNonBlocking(_ fd: Int32) {
        _ = berth_fcntl(fd, F_SETFL, berth_fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
    }

    /// FD_CLOEXEC: the descriptor is not passed on to programs this process starts.
    public static func setCloseOnExec(_ fd: Int32) {
        _ = berth_fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
}

/// Wall-clock time in Docker's formats.
public enum WallClock {
    /// Nanoseconds since the epoch.
    public static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// RFC 3339 in UTC with nanoseconds: `2026-11-23T06:51:00.123456789Z` (Docker's log and State times).
    public static func rfc3339(nanoseconds: Int64 = nowNanoseconds()) -> String {
        var secs = time_t(nanoseconds / 1_000_000_000)
        let nanos = Int(nanoseconds % 1_000_000_000)
        var t = tm()
        gmtime_r(&secs, &t)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let frac = String(nanos)
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2))."
            + String(repeating: "0", count: 9 - frac.count) + frac + "Z"
    }
}

extension Processes {
    /// Closes every open descriptor of this process except `keep`: close_range(2) over the gaps between
    /// them (listing /proc/self/fd instead costs a proc inode per descriptor: ~4 ms for a monitor holding
    /// a thousand published ports), else what /proc/self/fd lists.
    public static func closeDescriptors(except keep: Set<Int32>) {
        var first: UInt32 = 0
        var ok = true
        for fd in keep.filter({ $0 >= 0 }).sorted() {
            if UInt32(fd) > first { ok = ok && berth_close_range(first, UInt32(fd) - 1) == 0 }
            first = UInt32(fd) + 1
        }
        if ok && berth_close_range(first, UInt32.max) == 0 { return }
        let open = FileSystem.listDirectory("/proc/self/fd").compactMap { Int32($0) }
        for fd in open where !keep.contains(fd) { Syscall.close(fd) }
    }
}
