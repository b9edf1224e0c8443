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
}
