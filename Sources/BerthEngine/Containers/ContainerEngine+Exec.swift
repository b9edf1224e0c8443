import BerthCore
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem
import Foundation

/// One `docker exec` instance: made by exec-create, run once by exec-start.
public struct ExecSession: Sendable {
    public var id: String
    public var containerId: String
    public var argv: [String]
    public var env: [String]
    public var user: String
    public var workingDir: String
    public var tty: Bool
    public var privileged: Bool
    /// `AttachStdin`: exec-start feeds the hijacked connection's input to the process.
    public var attachStdin = false
    /// A duplicate of the terminal's master side while a `-t` exec runs (for window sizes).
    public var terminal: Int32?
    public var requestedSize: (rows: UInt16, cols: UInt16)?
    public var running = false
    public var started = false
    public var exitCode: Int?
    public var pid: Int32 = 0
}

extension ContainerEngine {
    public func execCreate(
        _ ref: String, argv: [String], env: [String], user: String, workingDir: String, tty: Bool, privileged: Bool,
        attachStdin: Bool = false
    ) throws -> String {
        let c = try container(ref)
        guard c.state == .running else { throw BerthError.conflict("container \(c.name) is not running") }
        guard !argv.isEmpty else { throw BerthError.invalid("no exec command specified") }
        let id = Identifier.random()
        execs[id] = ExecSession(
            id: id, containerId: c.id, argv: argv, env: env, user: user, workingDir: workingDir, tty: tty,
            privileged: privileged, attachStdin: attachStdin)
        return id
    }

    public func exec(_ id: String) throws -> ExecSession {
        guard let e = execs[id] else { throw BerthError.notFound("No such exec instance: \(id)") }
        return e
    }

    /// Runs an exec instance through the runtime; its output streams as it comes.
    public func execStart(_ id: String, input: AsyncStream<[UInt8]>? = nil) throws -> AsyncThrowingStream<OutputChunk, any Error> {
        var e = try exec(id)
        guard !e.started else { throw BerthError.conflict("exec instance \(id) has already been started") }
        let c = try container(e.containerId)
        guard c.state == .running else { throw BerthError.conflict("container \(c.name) is not running") }
        let spec = try spec(of: c)
        // The root filesystem is mounted only in the container's own mount namespace: read it there.
        let user = try ContainerEngine.numericUser(e.user.isEmpty ? spec.user : e.user, rootfs: "/proc/\(c.pid)/root")
        var env = spec.env
        for kv in e.env {
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            env.removeAll { $0.hasPrefix(key + "=") }
            env.append(kv)
        }
        // With a terminal the runtime hands its master side to a console socket next to the container's files.
        let console = e.tty ? try config.runtime.consoleSocket("x-" + id) : nil
        let pidFile = files(c.id).directory + "/exec-\(id.prefix(12)).pid"
        var argv = config.runtime.execArguments(
            id: c.id, args: e.argv, env: env, cwd: e.workingDir.isEmpty ? spec.workingDir : e.workingDir,
            user: user, tty: e.tty, pidFile: console == nil ? nil : pidFile, consoleSocket: console)
        if console != nil {
            argv = ExecReaper.arguments(monitorPath: config.monitorPath, pidFile: pidFile, argv: argv)
        }
        e.started = true
        e.running = true
        execs[id] = e
        let onStart: @Sendable (pid_t) -> Void = { [weak self] pid in Task { await self?.execStarted(id, pid: pid) } }
        let onExit: @Sendable (Int32) -> Void = { [weak self] status in Task { await self?.execEnded(id, status: status) } }
        if let console {
            return Processes.streamWithConsole(
                argv, consoleSocket: console, input: input, onStart: onStart,
                onMaster: { [weak self] fd in
                    Task {
                        if let self { await self.execTerminal(id, fd) } else { Syscall.close(fd) }
                    }
                }, onExit: onExit)
        }
        return Processes.stream(argv, input: input, onStart: onStart, onExit: onExit)
    }

    func execStarted(_ id: String, pid: Int32) { execs[id]?.pid = pid }

    func execTerminal(_ id: String, _ fd: Int32) {
        if execs[id]?.running == true {
            execs[id]?.terminal = fd
            // A size asked for before the terminal arrived.
            if let size = execs[id]?.requestedSize { try? Terminal.setSize(fd, rows: size.rows, cols: size.cols) }
        } else {
            Syscall.close(fd)
        }
    }

    func execEnded(_ id: String, status: Int32) {
        execs[id]?.running = false
        execs[id]?.exitCode = Int(status)
        if let fd = execs[id]?.terminal {
            Syscall.close(fd)
            execs[id]?.terminal = nil
        }
    }

    /// `POST /exec/{id}/resize`.
    public func resizeExec(_ id: String, rows: Int, cols: Int) throws {
        let e = try exec(id)
        guard (0...65535).contains(rows), (0...65535).contains(cols) else {
            throw BerthError.invalid("a terminal size of \(rows)x\(cols) is invalid: height and width must be 0–65535")
        }
        guard e.tty else { return }
        guard e.running else { throw BerthError.conflict("exec instance \(id) is not running") }
        // The terminal may not have been handed over yet: the size is then applied when it is.
        execs[id]?.requestedSize = (UInt16(rows), UInt16(cols))
        if let fd = e.terminal { try Terminal.setSize(fd, rows: UInt16(rows), cols: UInt16(cols)) }
    }

    /// Waits (briefly) until an exec's exit code is recorded.
    public func execExitCode(_ id: String) async -> Int? {
        for _ in 0..<100 {
            if let code = execs[id]?.exitCode { return code }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return execs[id]?.exitCode
    }

    /// Docker's `-u`: numeric `uid[:gid]` for the runtime, names looked up in the container's files.
    static func numericUser(_ user: String, rootfs: String) throws -> String? {
        if user.isEmpty { return nil }
        let ids = try UserResolver(rootfs: rootfs).resolve(user)
        return "\(ids.uid):\(ids.gid)"
    }

    // MARK: logs

    /// The container's log entries (json-file), filtered like `docker logs`; with `follow`, keeps
    /// reading until the container stops.
    ///
    /// The file is read through one descriptor opened now (or as soon as the file exists), so what
    /// the container wrote is still read after `--rm` removed the file: the monitor writes every
    /// line before the exit is recorded, and the last read happens after the exit is seen.
    public func logs(
        _ ref: String, stdout: Bool, stderr: Bool, tail: Int?, follow: Bool, untilExit: Bool = false
    ) throws -> AsyncThrowingStream<LogLine, any Error> {
        let c = try container(ref)
        let path = files(c.id).log
        let id = c.id
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        // attach: only what comes from now on, until the container has run and ended.
        if opened >= 0 && untilExit { lseek(opened, 0, SEEK_END) }
        let follow = follow || untilExit
        let changes = self.changes
        return AsyncThrowingStream { continuation in
            let task = Task {
                var fd = opened
                defer { if fd >= 0 { Syscall.close(fd) } }
                var partial: [UInt8] = []
                var first = true
                /// Every complete line the file got since the last read.
                func readLines() -> [LogLine] {
                    if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }
                    guard fd >= 0 else { return [] }
                    var lines: [LogLine] = []
                    while let bytes = try? Processes.read(fd), !bytes.isEmpty {
                        partial += bytes
                        var lineStart = partial.startIndex
                        while let nl = partial[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                            if let l = LogLine.decode(partial[lineStart..<nl]),
                                (l.stream == "stdout" && stdout) || (l.stream == "stderr" && stderr)
                            {
                                lines.append(l)
                            }
                            lineStart = nl + 1
                        }
                        partial.removeSubrange(..<lineStart)
                    }
                    return lines
                }
                while !Task.isCancelled {
                    let generation = changes.generation
                    var lines = readLines()
                    if first, let tail, tail >= 0 { lines = Array(lines.suffix(tail)) }
                    first = false
                    for l in lines { continuation.yield(l) }
                    guard follow else { break }
                    // Removed (--rm) or ended: one last read for what arrived just before the end.
                    let state = try? self.container(id).state
                    let running = state == .running || (untilExit && (state == .created || state == .starting))
                    if !running {
                        for l in readLines() { continuation.yield(l) }
                        break
                    }
                    // Woken at once when the container ends; new output is looked for every 20 ms
                    // (an attached terminal wants its echo at once) or 100 ms (`logs -f`).
                    await changes.wait(for: id, since: generation, timeout: .milliseconds(untilExit ? 20 : 100))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: top

    /// `docker top`: `ps -ef` rows of the processes in the container's cgroup.
    public func top(_ ref: String, psArgs: String) throws -> (titles: [String], processes: [[String]]) {
        let c = try container(ref)
        guard c.state == .running, c.pid > 0 else { throw BerthError.conflict("container \(c.name) is not running") }
        let pids = Set(try CgroupInspector.pids(inCgroupOf: Int32(c.pid)))
        let args = psArgs.isEmpty ? ["-ef"] : psArgs.split(separator: " ").map(String.init)
        let r = try Subprocess.run(["ps"] + args)
        guard r.succeeded else { throw BerthError.invalid("ps \(psArgs) failed: \(r.stderr)") }
        var lines = r.stdout.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { return ([], []) }
        let header = lines.removeFirst().split(separator: " ").map(String.init)
        guard let pidColumn = header.firstIndex(of: "PID") else {
            throw BerthError.invalid("ps \(psArgs) does not print a PID column")
        }
        var rows: [[String]] = []
        for line in lines {
            let fields = line.split(separator: " ", maxSplits: header.count - 1).map(String.init)
            guard fields.count == header.count, let pid = Int32(fields[pidColumn]), pids.contains(pid) else { continue }
            rows.append(fields)
        }
        return (header, rows)
    }
}
