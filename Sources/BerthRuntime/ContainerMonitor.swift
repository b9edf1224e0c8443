import BerthCore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// The per-container monitor (`berth-monitor`): berth's conmon. It runs in its own session,
/// outliving berthd. It creates and starts the container through the OCI runtime with pipes as the
/// container's stdout and stderr, becomes the parent of the container's first process (a child
/// subreaper), writes every output line to the json-file log, records the exit code in `state.json`,
/// then asks the runtime to delete the container (which removes its cgroup) and exits.
///
/// It also holds descriptors handed to it (`holdFds`: the published ports' reservation sockets)
/// for as long as the container runs, so the ports stay taken while berthd restarts.
public struct ContainerMonitor {
    public var files: ContainerFiles
    public var runtime: OCIRuntime
    public var holdFds: [Int32]

    public init(files: ContainerFiles, runtime: OCIRuntime, holdFds: [Int32]) {
        self.files = files
        self.runtime = runtime
        self.holdFds = holdFds
    }

    /// Parses `berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [FD,FD…]`.
    public static func fromArguments(_ args: [String]) -> ContainerMonitor? {
        guard args.count >= 6 else { return nil }
        let fds = args.count > 6 ? args[6].split(separator: ",").compactMap { Int32($0) } : []
        return ContainerMonitor(
            files: ContainerFiles(directory: args[1], id: args[2]),
            runtime: OCIRuntime(name: args[3], path: args[4], root: args[5]), holdFds: fds)
    }

    public func arguments(monitorPath: String) -> [String] {
        [monitorPath, files.directory, files.id, runtime.name, runtime.path, runtime.root]
            + (holdFds.isEmpty ? [] : [holdFds.map(String.init).joined(separator: ",")])
    }

    /// Runs the container to its end. Returns the process exit status of the monitor itself.
    public func run() -> Int32 {
        let me = getpid()
        // Whatever berthd had open (its API connections, sockets) must not stay open here: a client
        // waiting for its reply to end would wait for as long as the container runs.
        Processes.closeDescriptors(except: Set([0, 1, 2] + holdFds))
        for fd in holdFds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        signal(SIGPIPE, SIG_IGN)
        // berthd stopping must not stop the monitor: it ignores the usual terminal signals.
        signal(SIGHUP, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        do {
            try Processes.becomeSubreaper()
            try MonitorState(status: .starting, monitorPid: me).write(files.state)
        } catch {
            return fail("monitor cannot start: \(error)", code: 125)
        }
        let out: (read: Int32, write: Int32)
        let err: (read: Int32, write: Int32)
        do {
            out = try Processes.pipe()
            err = try Processes.pipe()
        } catch { return fail("monitor cannot make pipes: \(error)", code: 125) }
        let log = LogWriter(path: files.log)

        // 1. create: the runtime makes the namespaces and cgroup, the process waits for `start`.
        let createPid: pid_t
        do {
            createPid = try Processes.spawn(
                runtime.createArguments(id: files.id, bundle: files.bundle, pidFile: files.pidFile),
                stdin: nil, stdout: out.write, stderr: err.write)
        } catch { return fail("cannot run \(runtime.path): \(error)", code: 125) }
        Syscall.close(out.write)
        Syscall.close(err.write)
        Processes.setNonBlocking(out.read)
        Processes.setNonBlocking(err.read)
        let pumps = [Pump(fd: out.read, stream: "stdout"), Pump(fd: err.read, stream: "stderr")]
        // runc's own error messages arrive on the same stderr as the container's: keep them apart
        // until create succeeded, so a failure is reported (and not logged as the program's output).
        var createOutput: [UInt8] = []
        var createStatus: Int32?
        while createStatus == nil {
            for fd in Processes.pollReadable(pumps.map(\.fd), timeoutMs: 50) {
                if let b = try? Processes.read(fd), !b.isEmpty { createOutput += b }
            }
            while let (pid, status) = Processes.reapAny() {
                if pid == createPid { createStatus = status }
            }
        }
        if createStatus != 0 {
            let message = OCIRuntime.firstLine(String(decoding: createOutput, as: UTF8.self))
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
            return fail(message, code: OCIRuntime.startFailureCode(message))
        }
        if !createOutput.isEmpty { log.append(createOutput, stream: "stderr") }
        guard let text = try? FileSystem.readText(files.pidFile),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
            return fail("\(runtime.name) did not report the container's process id", code: 125)
        }
        // 2. start.
        let started = (try? Subprocess.run(runtime.startArguments(id: files.id)))
        guard let started, started.succeeded else {
            let message = OCIRuntime.firstLine(started?.stderr ?? "")
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
            return fail(message, code: OCIRuntime.startFailureCode(message))
        }
        let startedAt = WallClock.rfc3339()
        try? MonitorState(status: .running, monitorPid: me, pid: pid, startedAt: startedAt).write(files.state)

        // 3. pump output until the container's first process ends.
        var exitCode: Int32?
        while exitCode == nil {
            for fd in Processes.pollReadable(pumps.filter { !$0.closed }.map(\.fd), timeoutMs: 100) {
                pumps.first { $0.fd == fd }?.drain(into: log)
            }
            while let (reaped, status) = Processes.reapAny() {
                if reaped == pid { exitCode = status }
            }
            if pumps.allSatisfy(\.closed) && exitCode == nil {
                // Nothing left to read: block briefly for the exit instead of spinning.
                usleep(20_000)
            }
        }
        // What the process wrote just before it ended; daemons it left behind may hold the pipes,
        // so read for a short while only.
        let deadline = WallClock.nowNanoseconds() + 300_000_000
        while !pumps.allSatisfy(\.closed) && WallClock.nowNanoseconds() < deadline {
            for fd in Processes.pollReadable(pumps.filter { !$0.closed }.map(\.fd), timeoutMs: 50) {
                pumps.first { $0.fd == fd }?.drain(into: log)
            }
        }
        for p in pumps { p.flush(into: log) }
        let oom = oomKilled()
        _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
        try? MonitorState(
            status: .exited, monitorPid: me, pid: pid, startedAt: startedAt, finishedAt: WallClock.rfc3339(),
            exitCode: exitCode, oomKilled: oom && exitCode == 137
        ).write(files.state)
        return 0
    }

    /// Whether the kernel's OOM killer acted in the container's memory cgroup (v1 `memory.oom_control`
    /// or v2 `memory.events`), read before the runtime deletes the cgroup.
    func oomKilled() -> Bool {
        for path in ["/sys/fs/cgroup/memory/berth/\(files.id)/memory.oom_control", "/sys/fs/cgroup/berth/\(files.id)/memory.events"] {
            if let text = try? FileSystem.readText(path),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("oom_kill ") }),
                let n = Int(line.split(separator: " ").last ?? ""), n > 0
            {
                return true
            }
        }
        return false
    }

    func fail(_ message: String, code: Int32) -> Int32 {
        let now = WallClock.rfc3339()
        try? MonitorState(
            status: .exited, monitorPid: getpid(), startedAt: nil, finishedAt: now, exitCode: code, error: message
        ).write(files.state)
        return 1
    }
}

/// One output pipe of the container, cut into lines for the log.
final class Pump {
    let fd: Int32
    let stream: String
    var pending: [UInt8] = []
    var closed = false

    init(fd: Int32, stream: String) {
        self.fd = fd
        self.stream = stream
    }

    func drain(into log: LogWriter) {
        while let bytes = try? Processes.read(fd) {
            if bytes.isEmpty {
                closed = true
                Syscall.close(fd)
                return
            }
            pending += bytes
            while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                log.append(Array(pending[...nl]), stream: stream)
                pending.removeSubrange(...nl)
            }
            // Docker cuts lines longer than 16 KiB into several entries.
            if pending.count >= 16384 {
                log.append(pending, stream: stream)
                pending = []
            }
        }
    }

    func flush(into log: LogWriter) {
        if !pending.isEmpty { log.append(pending, stream: stream) }
        pending = []
    }
}

/// Appends json-file entries to the container's log.
final class LogWriter {
    let fd: Int32

    init(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    }

    func append(_ bytes: [UInt8], stream: String) {
        guard fd >= 0 else { return }
        let line = LogLine(log: String(decoding: bytes, as: UTF8.self), stream: stream, time: WallClock.rfc3339())
        try? Processes.writeAll(fd, line.encoded())
    }
}
