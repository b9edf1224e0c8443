import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// Signal handling without async-signal-safety traps: block the signals in every thread (call
/// `block` first thing in `main`, before any thread exists, so all threads inherit the mask), then
/// receive them with `sigwait` on a dedicated thread.
public enum Signals {
    /// Blocks `signals` for the calling thread and every thread it creates afterwards.
    public static func block(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits (without occupying a concurrency thread) until one of `signals` arrives; returns it.
    public static func wait(for signals: [Int32]) async throws -> Int32 {
        try await DedicatedThread.run {
            var set = sigset_t()
            sigemptyset(&set)
            for s in signals { sigaddset(&set, s) }
            var received: Int32 = 0
            while true {
                let rc = sigwait(&set, &received)
                if rc == 0 { return received }
                if rc != EINTR { throw SystemCallError(call: "sigwait", errno: Errno(rawValue: rc)) }
            }
        }
    }

    /// The number of a signal given as docker takes it: `SIGTERM`, `TERM`, `term` or `15`.
    public static func number(_ name: String) -> Int32? {
        if let n = Int32(name) { return (1...64).contains(n) ? n : nil }
        let upper = name.uppercased()
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        let table: [String: Int32] = [
            "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
            "IOT": SIGABRT, "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV,
            "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT,
            "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU,
            "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF,
            "WINCH": SIGWINCH, "IO": SIGIO, "POLL": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
        ]
        return table[bare]
    }

    /// Sends `signal` to `pid` only while it is a child of `parent` (a container's first process,
    /// whose parent is its monitor), through a pidfd: a pid that ended and was reused meanwhile is
    /// never hit. false when it is not (or no longer) that child, or the kernel refused.
    public static func sendToChild(_ pid: pid_t, of parent: pid_t, signal: Int32) -> Bool {
        guard pid > 0, parent > 0 else { return false }
        let fd = berth_pidfd_open(pid)
        guard fd >= 0 else { return false }
        defer { Syscall.close(fd) }
        // Checked after the pidfd was opened: it names the process that has this parent now.
        guard let status = try? FileSystem.readText("/proc/\(pid)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("PPid:") }),
            let field = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last,
            pid_t(field) == parent
        else { return false }
        return berth_pidfd_send_signal(fd, signal) == 0
    }
}
