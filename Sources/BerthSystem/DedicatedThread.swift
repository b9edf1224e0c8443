#if canImport(Glibc)
import Glibc
#endif

/// Runs work on a brand-new OS thread that exists only for that work.
///
/// This is how berth enters namespaces: a thread that called `setns` is poisoned for anything else,
/// so it must never be a Swift concurrency or NIO thread. See Sources/BerthSystem/README.md.
public enum DedicatedThread {
    private final class Box: @unchecked Sendable {
        // Written by the worker thread before it ends, read by the caller after pthread_join
        // (or after the continuation resumes), so the join is the synchronisation point.
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Starts a thread running `work` (detached unless `joinable`). The thread ends when `work` returns.
    public static func spawn(joinable: Bool, _ work: @escaping () -> Void) throws(SystemCallError) -> pthread_t? {
        let box = Unmanaged.passRetained(Box(work))
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if !joinable { pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED)) }
        var tid = pthread_t()
        let rc = pthread_create(
            &tid, &attr,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.work()
                return nil
            }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw SystemCallError(call: "pthread_create", errno: Errno(rawValue: rc))
        }
        return joinable ? tid : nil
    }

    /// Runs `body` on a new thread and waits for it, blocking the caller.
    /// Use from plain threads or short-lived critical sections; from async code prefer `run(_:) async`.
    public static func runBlocking<T>(_ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { escapable in
            // The closure cannot outlive this call because we join the thread before returning.
            nonisolated(unsafe) let work = escapable
            nonisolated(unsafe) var result: Result<T, any Error>?
            let tid = try spawn(joinable: true) { result = Result { try work() } }
            if let tid { pthread_join(tid, nil) }
            guard let result else { throw SystemCallError(call: "dedicated thread ended without a result", errno: .EIO) }
            return try result.get()
        }
    }

    /// Runs `body` on a new thread without blocking a concurrency thread while it runs.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            do {
                _ = try spawn(joinable: false) { cont.resume(with: Result { try body() }) }
            } catch {
                cont.resume(throwing: error)
            }
        }
    }
}
