import CBerthSystem

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// What a finished child process left behind.
public struct SubprocessResult: Sendable {
    /// Exit status, or 128 + signal number when the child was killed by a signal (as shells report it).
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// stdout exactly as written (for binary output such as `gzip -dc`).
    public let stdoutBytes: [UInt8]

    public var succeeded: Bool { status == 0 }

    public init(status: Int32, stdout: String, stderr: String, stdoutBytes: [UInt8]? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutBytes = stdoutBytes ?? Array(stdout.utf8)
    }
}

/// Runs helper programs (`nft`, and test tools) without a shell.
///
/// The child is created with posix_spawn from the *calling thread*, so it starts in that thread's
/// namespaces: call inside `NetworkNamespace.run { }` to run a program in a container's network.
public enum Subprocess {
    /// Runs `argv` (looked up in PATH when it has no `/`), feeds it `input`, and collects its output.
    public static func run(
        _ argv: [String], input: [UInt8]? = nil, environment: [String]? = nil
    ) throws(SystemCallError) -> SubprocessResult
    {
        precondition(!argv.isEmpty, "Subprocess.run needs a program")
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        try Syscall.retrying("pipe2") { berth_pipe2(&inPipe, O_CLOEXEC) }
        try Syscall.retrying("pipe2") { berth_pipe2(&outPipe, O_CLOEXEC) }
        try Syscall.retrying("pipe2") { berth_pipe2(&errPipe, O_CLOEXEC) }
        var parentEnds: [Int32] = [inPipe[1], outPipe[0], errPipe[0]]
        let childEnds: [Int32] = [inPipe[0], outPipe[1], errPipe[1]]
        defer { for fd in parentEnds where fd >= 0 { Syscall.close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, fd) in childEnds.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(target)) }

        let spawned = Result { () throws(SystemCallError) in
            try spawn(argv, actions: &actions, environment: environment, newSession: false)
        }
        for fd in childEnds { Syscall.close(fd) }
        let pid = try spawned.get()

        // Feed stdin and drain stdout/stderr together, so a chatty child never blocks on a full pipe.
        var pending = input ?? []
        var sent = 0
        if pending.isEmpty {
            Syscall.close(parentEnds[0])
            parentEnds[0] = -1
        } else {
            _ = berth_fcntl(parentEnds[0], F_SETFL, O_NONBLOCK)
        }
        var out: [UInt8] = []
        var err: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while parentEnds[1] >= 0 || parentEnds[2] >= 0 {
            var fds: [pollfd] = []
            if parentEnds[0] >= 0 { fds.append(pollfd(fd: parentEnds[0], events: Int16(POLLOUT), revents: 0)) }
            if parentEnds[1] >= 0 { fds.append(pollfd(fd: parentEnds[1], events: Int16(POLLIN), revents: 0)) }
            if parentEnds[2] >= 0 { fds.append(pollfd(fd: parentEnds[2], events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if Errno.current == .EINTR { continue }
                throw SystemCallError(call: "poll", errno: .current)
            }
            for p in fds where p.revents != 0 {
                if p.fd == parentEnds[0] {
                    let w = pending[sent...].withUnsafeBytes { write(p.fd, $0.baseAddress, $0.count) }
                    if w > 0 { sent += w }
                    if w < 0 && Errno.current != .EAGAIN && Errno.current != .EINTR { sent = pending.count }
                    if sent >= pending.count {
                        Syscall.close(parentEnds[0])
                        parentEnds[0] = -1
                        pending = []
                    }
                } else {
                    let r = buf.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                    if r > 0 {
                        if p.fd == parentEnds[1] { out += buf[0..<r] } else { err += buf[0..<r] }
                    } else if r == 0 || (Errno.current != .EINTR && Errno.current != .EAGAIN) {
                        let slot = p.fd == parentEnds[1] ? 1 : 2
                        Syscall.close(parentEnds[slot])
                        parentEnds[slot] = -1
                    }
                }
            }
        }
        if parentEnds[0] >= 0 {
            Syscall.close(parentEnds[0])
            parentEnds[0] = -1
        }
        var status: Int32 = 0
        try Syscall.retrying("waitpid \(pid)") { waitpid(pid, &status, 0) }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return SubprocessResult(
            status: code, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
            stdoutBytes: out)
    }

    /// posix_spawnp with berth's attributes: default signal dispositions and an empty signal mask in the
    /// child whatever the parent blocks, optionally a new session; PATH lookup for names without `/`.
    static func spawn(
        _ argv: [String], actions: inout posix_spawn_file_actions_t, environment: [String]?, newSession: Bool
    ) throws(SystemCallError) -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26, 0x80): the child calls setsid().
        let setsid: Int32 = newSession ? 0x80 : 0
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | setsid))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { cEnv?.forEach { free($0) } }
        var pid = pid_t()
        let rc: Int32 =
            if let cEnv {
                posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, cEnv)
            } else {
                posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, berth_environ())
            }
        if rc != 0 { throw SystemCallError(call: "run \(argv[0])", errno: Errno(rawValue: rc)) }
        return pid
    }
}
