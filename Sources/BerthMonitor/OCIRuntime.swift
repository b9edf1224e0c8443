#if !hasFeature(Embedded)
import BerthCore
import BerthSystem
#endif

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// The OCI runtime binary berth drives (crun or runc), with its own state directory so berth's
/// containers never mix with another engine's.
public struct OCIRuntime: Sendable, Equatable {
    /// `crun` or `runc`.
    public var name: String
    /// Absolute path of the binary.
    public var path: String
    /// `--root`: the runtime's state directory (under `$BERTH_RUN`).
    public var root: String

    public init(name: String, path: String, root: String) {
        self.name = name
        self.path = path
        self.root = root
    }

    func argv(_ rest: [String]) -> [String] { [path, "--root", root] + rest }

    /// Where console sockets are made (beside the runtime's state): the runtime dials them by path,
    /// and a unix socket path may not exceed 107 bytes, which container directories can.
    public var consoleDirectory: String {
        String(root[..<(root.lastIndex(of: "/") ?? root.endIndex)]) + "/console"
    }

    /// A console socket path for a container (`c-<id>`) or an exec (`x-<id>`), its directory made.
    public func consoleSocket(_ name: String) throws(SystemCallError) -> String {
        try FileSystem.makeDirectories(consoleDirectory, mode: 0o700)
        return consoleDirectory + "/" + name.prefix(24) + ".sock"
    }

    /// `run --detach`: create and start in one invocation (one runtime start-up instead of two).
    /// `consoleSocket`: with a terminal (`process.terminal`), where the runtime sends its master side.
    public func runDetachedArguments(id: String, bundle: String, pidFile: String, consoleSocket: String? = nil) -> [String] {
        argv(
            ["run", "--detach", "--bundle", bundle, "--pid-file", pidFile]
                + (consoleSocket.map { ["--console-socket", $0] } ?? []) + [id])
    }

    public func killArguments(id: String, signal: String, all: Bool = false) -> [String] {
        argv(["kill"] + (all ? ["--all"] : []) + [id, signal])
    }

    public func deleteArguments(id: String, force: Bool) -> [String] {
        argv(["delete"] + (force ? ["--force"] : []) + [id])
    }

    /// What `runc delete` does for a container whose first process has ended, done here instead of
    /// starting the runtime once more (~15 ms of a Go program's start-up, on the path of every `rm` and
    /// `run --rm`): its cgroups are removed (processes still in one, left by a container that shares
    /// the host's PID namespace, are killed first, as runc does) and then its state directory. Only
    /// for runc's record as this code knows it (`cgroup_paths`, no Intel RDT); false when it is not,
    /// or a step fails, and the caller runs the runtime's own delete, which finishes the job.
    public func deleteEnded(id: String) -> Bool {
        guard name == "runc" else { return false }
        let dir = root + "/" + id
        guard let bytes = try? FileSystem.readFile(dir + "/state.json"), let state = try? JSONReader.parse(bytes),
            case .object(let record) = state, case .object(let cgroups)? = record["cgroup_paths"]
        else { return false }
        if case .string(let rdt)? = record["intel_rdt_path"], !rdt.isEmpty { return false }
        for case .string(let path) in cgroups.values where !path.isEmpty {
            guard CgroupDirectory.remove(path) else { return false }
        }
        for file in FileSystem.listDirectory(dir) where unlink(dir + "/" + file) != 0 { return false }
        return rmdir(dir) == 0 || Errno.current == .ENOENT
    }

    /// `exec` of a process in a running container: env, cwd and numeric user are passed as flags.
    public func execArguments(
        id: String, args: [String], env: [String], cwd: String?, user: String?, tty: Bool, pidFile: String? = nil,
        consoleSocket: String? = nil
    ) -> [String] {
        var a = ["exec"]
        // A terminal handed to a console socket needs a detached exec (runc's rule).
        if let consoleSocket { a += ["--detach", "--console-socket", consoleSocket] }
        for e in env { a += ["--env", e] }
        if let cwd, !cwd.isEmpty { a += ["--cwd", cwd] }
        if let user, !user.isEmpty { a += ["--user", user] }
        if tty { a.append("--tty") }
        if let pidFile { a += ["--pid-file", pidFile] }
        return argv(a + [id] + args)
    }

    /// The useful line of a runtime's error output (runc logs JSON-ish `level=error msg="…"`).
    public static func firstLine(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty }
        guard let line = lines.last(where: { OCIRuntime.mentions($0, "error") }) ?? lines.last else {
            return "(no output)"
        }
        // Without Foundation (the monitor links none): find `msg="` by hand, unescape `\"`.
        let bytes = Array(line.utf8)
        let marker = Array("msg=\"".utf8)
        guard let start = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) else { return line }
        var message = Array(bytes[(start + marker.count)...])
        if message.last == UInt8(ascii: "\"") { message.removeLast() }
        var out: [UInt8] = []
        var i = 0
        while i < message.count {
            if message[i] == UInt8(ascii: "\\"), i + 1 < message.count, message[i + 1] == UInt8(ascii: "\"") {
                out.append(UInt8(ascii: "\""))
                i += 2
            } else {
                out.append(message[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The process id in a runtime's `--pid-file` (digits, maybe surrounded by whitespace).
    public static func pid(fromPidFile text: String) -> Int32? {
        let digits = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        guard digits.count == 1 else { return nil }
        return Int32(digits[0])
    }

    /// Docker's exit codes for a process that could not be started: 127 when the program is not
    /// found, 126 when it cannot be invoked (permission, not executable), else 125.
    public static func startFailureCode(_ message: String) -> Int32 {
        let m = message.lowercased()
        if mentions(m, "no such file") || mentions(m, "not found") { return 127 }
        if mentions(m, "permission denied") || mentions(m, "exec format error") || mentions(m, "is a directory") {
            return 126
        }
        return 125
    }

    /// Whether `part` occurs in `text` (bytewise). String's `contains(_:)` for a string comes from
    /// _StringProcessing, which Embedded Swift (berth-monitor) does not have.
    static func mentions(_ text: String, _ part: String) -> Bool {
        let t = Array(text.utf8)
        let p = Array(part.utf8)
        guard !p.isEmpty else { return true }
        guard t.count >= p.count else { return false }
        return (0...(t.count - p.count)).contains { t[$0..<($0 + p.count)].elementsEqual(p) }
    }
}

enum CgroupDirectory {
    /// rmdir of a cgroup directory, killing what is still in it; gone already counts as removed.
    static func remove(_ path: String) -> Bool {
        for attempt in 0..<10 {
            if rmdir(path) == 0 || Errno.current == .ENOENT { return true }
            guard Errno.current == .EBUSY else { return false }
            let procs = (try? FileSystem.readText(path + "/cgroup.procs")) ?? ""
            for line in procs.split(separator: "\n") {
                if let pid = Int32(line) { _ = kill(pid, SIGKILL) }
            }
            usleep(attempt < 3 ? 1_000 : 10_000)
        }
        return false
    }
}
