#if !hasFeature(Embedded)
import BerthCore
import BerthSystem
#endif

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc  // berth-monitor: one Embedded Swift module with these sources (Package.swift)
#endif

/// `berth-monitor --reap PIDFILE -- RUNTIME exec -d …`: the parent a `-t` exec needs. A terminal
/// exec must run detached (`runc exec -d --console-socket`), so its process outlives the runtime;
/// this helper is a child subreaper, so that process becomes its child once the runtime exits, and
/// it exits with that process's status. berthd itself holds the terminal (from the console socket).
public struct ExecReaper {
    public var pidFile: String
    public var argv: [String]

    public init(pidFile: String, argv: [String]) {
        self.pidFile = pidFile
        self.argv = argv
    }

    public static func fromArguments(_ args: [String]) -> ExecReaper? {
        guard args.count >= 5, args[1] == "--reap", args[3] == "--" else { return nil }
        return ExecReaper(pidFile: args[2], argv: Array(args[4...]))
    }

    public static func arguments(monitorPath: String, pidFile: String, argv: [String]) -> [String] {
        [monitorPath, "--reap", pidFile, "--"] + argv
    }

    /// Returns the exec'd process's shell-style status; the runtime's own failure maps to Docker's
    /// 126/127/125 with its message on stderr.
    public func run() -> Int32 {
        do { try Processes.becomeSubreaper() } catch {
            FileHandleWriter.stderr("berth-monitor: \(error)\n")
            return 125
        }
        let result: SubprocessResult
        do { result = try Subprocess.run(argv) } catch {
            FileHandleWriter.stderr("cannot run \(argv[0]): \(error)\n")
            return 125
        }
        defer { unlink(pidFile) }
        guard result.succeeded else {
            let message = OCIRuntime.firstLine(result.stderr)
            FileHandleWriter.stderr(message + "\n")
            return OCIRuntime.startFailureCode(message)
        }
        guard let text = try? FileSystem.readText(pidFile), let pid = OCIRuntime.pid(fromPidFile: text) else {
            FileHandleWriter.stderr("the runtime did not report the exec'd process id\n")
            return 125
        }
        while true {
            var status: Int32 = 0
            let r = waitpid(-1, &status, 0)
            if r == pid { return Processes.shellStatus(status) }
            if r < 0 && Errno.current != .EINTR { return 255 }
        }
    }
}

/// Writes to a standard descriptor without Foundation.
enum FileHandleWriter {
    static func stderr(_ text: String) {
        try? Processes.writeAll(2, Array(text.utf8))
    }
}
