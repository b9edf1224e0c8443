import BerthCore
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
    public var running = false
    public var started = false
    public var exitCode: Int?
    public var pid: Int32 = 0
}

extension ContainerEngine {
    public func execCreate(
        _ ref: String, argv: [String], env: [String], user: String, workingDir: String, tty: Bool, privileged: Bool
    ) throws -> String {
        let c = try container(ref)
        guard c.state == .running else { throw BerthError.conflict("container \(c.name) is not running") }
        guard !argv.isEmpty else { throw BerthError.invalid("no exec command specified") }
        let id = Identifier.random()
        execs[id] = ExecSession(
            id: id, containerId: c.id, argv: argv, env: env, user: user, workingDir: workingDir, tty: tty,
            privileged: privileged)
        return id
    }

    public func exec(_ id: String) throws -> ExecSession {
        guard let e = execs[id] else { throw BerthError.notFound("No such exec instance: \(id)") }
        return e
    }

    /// Runs an exec instance through the runtime; its output streams as it comes.
    public func execStart(_ id: String, input: [UInt8]? = nil) throws -> AsyncThrowingStream<OutputChunk, any Error> {
        var e = try exec(id)
        guard !e.started else { throw BerthError.conflict("exec instance \(id) has already been started") }
        let c = try container(e.containerId)
        guard c.state == .running else { throw BerthError.conflict("container \(c.name) is not running") }
        let spec = try spec(of: c)
        let user = try ContainerEngine.numericUser(e.user.isEmpty ? spec.user : e.user, rootfs: files(c.id).rootfs)
        var env = spec.env
        for kv in e.env {
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            env.removeAll { $0.hasPrefix(key + "=") }
            env.append(kv)
        }
        let argv = config.runtime.execArguments(
            id: c.id, args: e.argv, env: env, cwd: e.workingDir.isEmpty ? spec.workingDir : e.workingDir,
            user: user, tty: false)
        e.started = true
        e.running = true
        execs[id] = e
        return Processes.stream(
            argv, input: input,
            onStart: { [weak self] pid in Task { await self?.execStarted(id, pid: pid) } },
            onExit: { [weak self] status in Task { await self?.execEnded(id, status: status) } })
    }

    func execStarted(_ id: String, pid: Int32) { execs[id]?.pid = pid }

    func execEnded(_ id: String, status: Int32) {
        execs[id]?.running = false
        execs[id]?.exitCode = Int(status)
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
    public func logs(
        _ ref: String, stdout: Bool, stderr: Bool, tail: Int?, follow: Bool, untilExit: Bool = false
    ) throws -> AsyncThrowingStream<LogLine, any Error> {
        let c = try container(ref)
        let path = files(c.id).log
        let id = c.id
        // attach: only what comes from now on, until the container has run and ended.
        let startOffset = untilExit ? ((try? FileSystem.readFile(path))?.count ?? 0) : 0
        let follow = follow || untilExit
        return AsyncThrowingStream { continuation in
            let task = Task {
                var offset = startOffset
                var partial: [UInt8] = []
                var first = true
                while !Task.isCancelled {
                    let bytes = (try? FileSystem.readFile(path)) ?? []
                    var lines: [LogLine] = []
                    if bytes.count > offset {
                        partial += bytes[offset...]
                        offset = bytes.count
                        while let nl = partial.firstIndex(of: UInt8(ascii: "\n")) {
                            if let l = LogLine.decode(partial[..<nl]),
                                (l.stream == "stdout" && stdout) || (l.stream == "stderr" && stderr)
                            {
                                lines.append(l)
                            }
                            partial.removeSubrange(...nl)
                        }
                    }
                    if first, let tail, tail >= 0 { lines = Array(lines.suffix(tail)) }
                    first = false
                    for l in lines { continuation.yield(l) }
                    guard follow else { break }
                    let state = try? await self.container(id).state
                    let running = state == .running || (untilExit && (state == .created || state == .starting))
                    if !running {
                        // One last read for what arrived just before the end.
                        let final = (try? FileSystem.readFile(path)) ?? []
                        if final.count == offset { break }
                        continue
                    }
                    try? await Task.sleep(nanoseconds: 100_000_000)
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
