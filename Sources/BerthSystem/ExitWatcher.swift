import CBerthSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Tells when processes end, without polling them: one dedicated thread waits in poll(2) on a
/// pidfd per watched process (pidfd_open(2): readable once the process has ended, whether or not it
/// is our child and whether or not it was reaped yet). Costs nothing while nothing ends, and the same
/// for 1 process as for 1,000 — unlike scanning every process's state on a timer.
///
/// `onExit(key, pid)` runs on the watcher's thread once per watched process that ended (or was
/// already gone when watched); it must not block. `stop()` ends the thread and closes every pidfd.
public final class ExitWatcher: @unchecked Sendable {
    public typealias Handler = @Sendable (_ key: String, _ pid: pid_t) -> Void

    private struct State {
        var watched: [String: (pid: pid_t, fd: Int32, serial: UInt64)] = [:]
        var serial: UInt64 = 0
        var stopping = false
    }
    private let state = Mutex(State())
    private let wake: (read: Int32, write: Int32)
    private let onExit: Handler

    public init(onExit: @escaping Handler) throws {
        wake = try Processes.pipe()
        Processes.setNonBlocking(wake.read)
        Processes.setNonBlocking(wake.write)
        self.onExit = onExit
        do {
            _ = try DedicatedThread.spawn(joinable: false) { [self] in loop() }
        } catch {
            Syscall.close(wake.read)
            Syscall.close(wake.write)
            throw error
        }
    }

    // The thread holds the watcher until it ends, so the wake pipe outlives every poke.
    deinit {
        for entry in state.withLock({ $0.watched.values }) { Syscall.close(entry.fd) }
        Syscall.close(wake.read)
        Syscall.close(wake.write)
    }

    /// Watches `pid` under `key` (replacing what `key` watched before). A process that is already gone
    /// is reported at once.
    public func watch(_ key: String, pid: pid_t) {
        let fd = berth_pidfd_open(pid)
        if fd < 0 {
            // ESRCH: it ended (and was reaped) before we looked.
            unwatch(key)
            onExit(key, pid)
            return
        }
        watch(key, descriptor: fd, pid: pid)
    }

    /// Watches a descriptor that becomes readable (or hung up) when something about `pid` ended: a
    /// pipe whose writer closes it, say. Reported once like an exit, as `(key, pid)`; the watcher
    /// owns and closes `fd`.
    public func watch(_ key: String, descriptor given: Int32, pid: pid_t) {
        // One (or two) per running container, for as long as it runs: kept above the numbers
        // libnftables' select(2) needs, which 500 containers' descriptors would otherwise all take.
        let fd = Descriptors.moveHigh(given)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let old = state.withLock { s -> Int32? in
            if s.stopping { return fd }
            let old = s.watched[key]?.fd
            s.serial &+= 1
            s.watched[key] = (pid, fd, s.serial)
            return old
        }
        if let old { Syscall.close(old) }
        poke()
    }

    /// Stops watching `key` (nothing is reported for it).
    public func unwatch(_ key: String) {
        let old = state.withLock { $0.watched.removeValue(forKey: key) }
        if let old {
            Syscall.close(old.fd)
            poke()
        }
    }

    public var count: Int { state.withLock { $0.watched.count } }

    /// Ends the thread; every pidfd is closed, nothing more is reported.
    public func stop() {
        state.withLock { $0.stopping = true }
        poke()
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func loop() {
        while true {
            let (stopping, snapshot) = state.withLock { s in
                (s.stopping, s.watched.map { (key: $0.key, pid: $0.value.pid, fd: $0.value.fd, serial: $0.value.serial) })
            }
            if stopping { break }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            fds += snapshot.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }  // EINTR
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                while read(wake.read, &buffer, buffer.count) > 0 {}
            }
            for (i, entry) in snapshot.enumerated() where fds[i + 1].revents != 0 {
                // Only if it is still the same watch (not replaced or removed meanwhile).
                let ended = state.withLock { s -> Bool in
                    guard s.watched[entry.key]?.serial == entry.serial else { return false }
                    s.watched[entry.key] = nil
                    return true
                }
                if ended {
                    Syscall.close(entry.fd)
                    onExit(entry.key, entry.pid)
                }
            }
        }
        let left = state.withLock { s -> [Int32] in
            defer { s.watched = [:] }
            return s.watched.values.map(\.fd)
        }
        for fd in left { Syscall.close(fd) }
    }
}
