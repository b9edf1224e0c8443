import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import BerthSystem
import Foundation

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers.")
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        try ContainerCLI.each(containers) { try client.send("POST", ContainerCLI.path($0) + "/start") }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop containers: the stop signal (SIGTERM), then SIGKILL after a timeout.")
    @Option(name: [.short, .customLong("time")], help: "Seconds to wait before killing (default 10).") var time: Int?
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        let q = time.map { "?t=\($0)" } ?? ""
        try ContainerCLI.each(containers, concurrently: true) { try client.send("POST", ContainerCLI.path($0) + "/stop" + q) }
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart containers.")
    @Option(name: [.short, .customLong("time")], help: "Seconds to wait before killing (default 10).") var time: Int?
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        let q = time.map { "?t=\($0)" } ?? ""
        try ContainerCLI.each(containers) { try client.send("POST", ContainerCLI.path($0) + "/restart" + q) }
    }
}

struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGKILL) to containers.")
    @Option(name: [.short, .long], help: "Signal to send.") var signal: String?
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        let q = signal.map { "?signal=" + BerthClient.escapeQuery($0) } ?? ""
        try ContainerCLI.each(containers, concurrently: true) { try client.send("POST", ContainerCLI.path($0) + "/kill" + q) }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove containers: their network endpoints, namespace, root filesystem, cgroup and logs.")
    @Flag(name: [.short, .long], help: "Kill and remove a running container.") var force = false
    @Flag(name: [.short, .long], help: "Remove anonymous volumes (berth has none; accepted for docker compatibility).")
    var volumes = false
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        try ContainerCLI.each(containers, concurrently: true) {
            try client.send("DELETE", ContainerCLI.path($0) + (force ? "?force=1" : ""))
        }
    }
}

struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for containers to stop; print their exit codes.")
    @Argument(help: "Container names or IDs.") var containers: [String]

    func run() throws {
        let client = try Connection.client()
        for c in containers {
            print(try client.call("POST", ContainerCLI.path(c) + "/wait", as: ContainerWaitResponse.self).StatusCode)
        }
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a container's output (kept even after it exits).")
    @Flag(name: [.short, .long], help: "Follow the output until the container stops.") var follow = false
    @Flag(name: [.short, .long], help: "Show timestamps.") var timestamps = false
    @Option(name: [.customShort("n"), .customLong("tail")], help: "Number of lines from the end (or all).") var tail: String?
    @Argument(help: "Container name or ID.") var container: String

    func run() throws {
        let client = try Connection.client()
        var q = "?stdout=1&stderr=1"
        if follow { q += "&follow=1" }
        if timestamps { q += "&timestamps=1" }
        if let tail { q += "&tail=" + BerthClient.escapeQuery(tail) }
        // A TTY container's log is one raw stream, as docker's.
        let tty = (try? client.call("GET", ContainerCLI.path(container) + "/json", as: ContainerInspect.self))?.Config.Tty ?? false
        try ContainerCLI.streamOutput(client, path: ContainerCLI.path(container) + "/logs" + q, raw: tty)
    }
}

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a running container; exits with the command's code.")
    @Flag(name: [.short, .long], help: "Attach your stdin to the command's.") var interactive = false
    @Flag(name: [.short, .long], help: "Give the command a pseudo-TTY (your terminal goes raw while it runs).") var tty = false
    @Flag(name: [.short, .long], help: "Run in the background.") var detach = false
    @Option(name: [.short, .long], help: "Set an environment variable.") var env: [String] = []
    @Option(name: [.short, .long], help: "User (name or uid[:gid]).") var user: String?
    @Option(name: [.short, .long], help: "Working directory.") var workdir: String?
    @Flag(name: .long, help: "Extended privileges.") var privileged = false
    @Argument(help: "Container name or ID.") var container: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw ValidationError("name a command to run in \(container)") }
        try ContainerCLI.exec(
            try Connection.client(), container: container, command: command, env: env, user: user, workdir: workdir,
            privileged: privileged, detach: detach, interactive: interactive, tty: tty)
    }
}

extension ContainerCLI {
    /// Creates and starts an exec; without `detach` copies its output and exits with its code.
    static func exec(
        _ client: BerthClient, container: String, command: [String], env: [String], user: String?, workdir: String?,
        privileged: Bool, detach: Bool, interactive: Bool = false, tty: Bool = false
    ) throws {
        var r = ExecCreateRequest()
        r.Cmd = command
        r.Env = env
        r.User = user
        r.WorkingDir = workdir
        r.Privileged = privileged
        r.AttachStdout = true
        r.AttachStderr = true
        r.AttachStdin = interactive && !detach
        r.Tty = tty
        let exec = try client.call("POST", ContainerCLI.path(container) + "/exec", body: r, as: ExecCreateResponse.self)
        let start = ExecStartRequest(Detach: detach, Tty: tty)
        let body = Array(try JSONEncoder().encode(start))
        if detach {
            try client.send("POST", "/exec/\(exec.Id)/start", body: start)
            return
        }
        let saved = tty && interactive && Terminal.isTerminal(0) ? Terminal.makeRaw(0) : nil
        do {
            defer { if let saved { Terminal.restore(0, saved) } }
            try ContainerCLI.streamOutput(
                client, path: "/exec/\(exec.Id)/start", method: "POST", body: body, upgrade: true, raw: tty, stdin: interactive
            ) {
                if tty { ContainerCLI.followTerminalSize(client, resizePath: "/exec/\(exec.Id)/resize") }
            }
        }
        let inspect = try client.call("GET", "/exec/\(exec.Id)/json", as: ExecInspect.self)
        if let code = inspect.ExitCode, code != 0 { throw CLIFailure(code: Int32(truncatingIfNeeded: code)) }
    }
}

struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Show the processes of a container (from its cgroup).")
    @Argument(help: "Container name or ID.") var container: String
    @Argument(help: "ps options (default -ef).") var psArgs: [String] = []

    func run() throws {
        let client = try Connection.client()
        let q = psArgs.isEmpty ? "" : "?ps_args=" + BerthClient.escapeQuery(psArgs.joined(separator: " "))
        let top = try client.call("GET", ContainerCLI.path(container) + "/top" + q, as: ContainerTopResponse.self)
        print(TableWriter.render([top.Titles] + top.Processes), terminator: "")
    }
}

struct PortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List a container's published ports.")
    @Argument(help: "Container name or ID.") var container: String
    @Argument(help: "A container port (80 or 80/tcp).") var port: String?

    func run() throws {
        let client = try Connection.client()
        let c = try client.call("GET", ContainerCLI.path(container) + "/json", as: ContainerInspect.self)
        var lines: [String] = []
        let wanted = port.map { $0.contains("/") ? $0 : $0 + "/tcp" }
        for (key, bindings) in c.NetworkSettings.Ports.sorted(by: { $0.key < $1.key }) {
            guard let bindings else { continue }
            if let wanted, key != wanted { continue }
            for b in bindings {
                let addr = "\(b.HostIp ?? "0.0.0.0"):\(b.HostPort ?? "")"
                lines.append(wanted == nil ? "\(key) -> \(addr)" : addr)
            }
        }
        if lines.isEmpty, let port {
            throw BerthError.notFound("no public port '\(port)' published for \(container)")
        }
        for l in lines { print(l) }
    }
}
