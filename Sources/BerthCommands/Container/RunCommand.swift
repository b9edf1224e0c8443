import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import BerthSystem
import Foundation

/// `berth run`: create + start, then (unless -d) show the output and exit with the container's code.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and run a new container from an image.",
        discussion: """
            Exit status like docker's: the container's own exit code; 125 when berthd refuses (bad flags,
            unknown image, a host port in use); 126 when the command cannot be invoked; 127 when it is not found.
            Without -d the container's output is shown until it ends; with -i your stdin is the container's
            (it closes when yours ends), with -t the container gets a terminal (yours is put in raw mode).
            """)

    @Flag(name: [.short, .long], help: "Run in the background and print the container's ID.") var detach = false
    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.") var remove = false
    @OptionGroup var options: CreateOptions
    @Argument(help: "Image to run (busybox is built in).") var image: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        let client = try Connection.client()
        var request = try options.request(image: image, command: command)
        // --rm: berthd removes the container as soon as it ends (in the same pass that releases its
        // network), also when this CLI is gone by then; we wait for the removal, as docker does.
        if remove { request.HostConfig?.AutoRemove = true }
        if !detach && options.interactive {
            // docker run -i: the container's stdin closes when ours ends.
            request.AttachStdin = true
            request.StdinOnce = true
        }
        let id = try ContainerCLI.create(client, request, name: options.name, image: image)
        let start = {
            do {
                try client.send("POST", "/containers/\(id)/start")
            } catch let e as BerthError {
                printError("berth: Error response from daemon: \(e.message)")
                if remove { try? client.send("DELETE", "/containers/\(id)?force=1") }
                throw CLIFailure(code: ContainerCLI.startFailureCode(e.message))
            }
        }
        if detach {
            try start()
            print(id)
            return
        }
        // Attach first (so no output is missed, and none is lost to --rm), start once attached, then
        // copy the output (and with -i, our stdin) until the container ends.
        try ContainerCLI.attach(client, id: id, stdin: options.interactive, tty: options.tty, beforeOutput: start)
        let wait: ContainerWaitResponse
        if remove {
            do {
                wait = try client.call("POST", "/containers/\(id)/wait?condition=removed", as: ContainerWaitResponse.self)
            } catch {
                try? client.send("DELETE", "/containers/\(id)?force=1")
                throw error
            }
        } else {
            wait = try client.call("POST", "/containers/\(id)/wait", as: ContainerWaitResponse.self)
        }
        if wait.StatusCode != 0 { throw CLIFailure(code: Int32(truncatingIfNeeded: wait.StatusCode)) }
    }
}

/// `berth attach`: the container's output, and with its stdin open, ours into it.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach your terminal to a running container's output (and its stdin when it was started with -i).",
        discussion: "Exits with the container's code when it ends; Ctrl-C (without -t) stops only the attach.")
    @Flag(name: .customLong("no-stdin"), help: "Do not attach stdin.") var noStdin = false
    @Argument(help: "Container name or ID.") var container: String

    func run() throws {
        let client = try Connection.client()
        let c = try client.call("GET", ContainerCLI.path(container) + "/json", as: ContainerInspect.self)
        guard c.State.Running else {
            printError("berth: You cannot attach to a stopped container, start it first")
            throw CLIFailure(code: 1)
        }
        try ContainerCLI.attach(
            client, id: c.Id, stdin: !noStdin && (c.Config.OpenStdin ?? false), tty: c.Config.Tty ?? false, beforeOutput: {})
        let wait = try client.call("POST", ContainerCLI.path(c.Id) + "/wait", as: ContainerWaitResponse.self)
        if wait.StatusCode != 0 { throw CLIFailure(code: Int32(truncatingIfNeeded: wait.StatusCode)) }
    }
}

/// `berth create`.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container (start it with berth start).")

    @OptionGroup var options: CreateOptions
    @Argument(help: "Image (busybox is built in).") var image: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        let client = try Connection.client()
        print(try ContainerCLI.create(client, try options.request(image: image, command: command), name: options.name, image: image))
    }
}

/// Shared steps of the container commands.
enum ContainerCLI {
    static func create(_ client: BerthClient, _ request: ContainerCreateRequest, name: String?, image: String) throws -> String {
        let q = name.map { "?name=" + BerthClient.escapeQuery($0) } ?? ""
        do {
            let r = try client.call("POST", "/containers/create" + q, body: request, as: ContainerCreateResponse.self)
            for w in r.Warnings { printError("WARNING: \(w)") }
            return r.Id
        } catch let e as BerthError {
            if e.code == .notFound && e.message.hasPrefix("No such image") {
                printError("Unable to find image '\(image)' locally (berth does not pull; use berth load or berth import)")
            }
            printError("berth: Error response from daemon: \(e.message)")
            throw CLIFailure(code: 125)
        }
    }

    /// Docker's codes for a container that could not start.
    static func startFailureCode(_ message: String) -> Int32 {
        let m = message.lowercased()
        if m.contains("failed to create task") || m.contains("exec:") || m.contains("executable") {
            if m.contains("no such file") || m.contains("not found") { return 127 }
            if m.contains("permission denied") || m.contains("exec format error") || m.contains("is a directory") {
                return 126
            }
        }
        return 125
    }

    /// Copies an output stream to this process's stdout and stderr: multiplexed, or raw for a TTY.
    /// With `stdin` (an upgraded connection) this process's stdin goes to the daemon.
    static func streamOutput(
        _ client: BerthClient, path: String, method: String = "GET", body: [UInt8]? = nil, upgrade: Bool = false,
        raw: Bool = false, stdin: Bool = false, onReply: (() throws -> Void)? = nil
    ) throws {
        var demux = StreamDemultiplexer()
        try client.stream(method, path, body: body, upgrade: upgrade, stdin: stdin ? 0 : nil, onReply: onReply) { bytes in
            if raw {
                FileHandle.standardOutput.write(Data(bytes))
                return
            }
            for frame in demux.feed(bytes) {
                (frame.stream == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(Data(frame.payload))
            }
        }
    }

    /// `run -i/-t` and `attach`: attaches to the container (with our stdin when `stdin`), runs
    /// `beforeOutput` (the start) once attached, keeps the container's terminal as big as ours, and
    /// returns when the container's output ends. Our terminal is raw meanwhile when both are TTYs.
    static func attach(_ client: BerthClient, id: String, stdin: Bool, tty: Bool, beforeOutput: @escaping () throws -> Void) throws {
        let path = ContainerCLI.path(id) + "/attach?stream=1&stdout=1&stderr=1" + (stdin ? "&stdin=1" : "")
        let saved = tty && stdin && Terminal.isTerminal(0) ? Terminal.makeRaw(0) : nil
        defer { if let saved { Terminal.restore(0, saved) } }
        try streamOutput(client, path: path, method: "POST", upgrade: true, raw: tty, stdin: stdin) {
            try beforeOutput()
            if tty { followTerminalSize(client, resizePath: ContainerCLI.path(id) + "/resize") }
        }
    }

    /// Sends our terminal's size now and whenever it changes (checked four times a second).
    static func followTerminalSize(_ client: BerthClient, resizePath: String) {
        guard let first = Terminal.size(1) ?? Terminal.size(0) else { return }
        func send(_ size: (rows: UInt16, cols: UInt16)) {
            try? client.send("POST", resizePath + "?h=\(size.rows)&w=\(size.cols)")
        }
        send(first)
        _ = try? DedicatedThread.spawn(joinable: false) {
            var last = first
            while true {
                usleep(250_000)
                guard let now = Terminal.size(1) ?? Terminal.size(0) else { return }
                if now != last {
                    send(now)
                    last = now
                }
            }
        }
    }

    /// Runs `action` for each reference, printing it on success like docker; errors are printed and
    /// the command exits 1 at the end.
    /// Runs `action` for each container; prints each name (or its error) in the order given. With
    /// `concurrently` (stop, kill, rm: independent of each other, as docker does them) up to 8 requests
    /// are in flight at once, so removing 500 containers does not wait for each in turn.
    static func each(_ refs: [String], concurrently: Bool = false, _ action: @escaping @Sendable (String) throws -> Void) throws {
        let results = ResultSlots(count: refs.count)
        if concurrently && refs.count > 1 {
            let slots = DispatchSemaphore(value: 8)
            let group = DispatchGroup()
            for (i, ref) in refs.enumerated() {
                slots.wait()
                DispatchQueue.global().async(group: group) {
                    defer { slots.signal() }
                    results.set(i, Result { try action(ref) })
                }
            }
            group.wait()
        } else {
            for (i, ref) in refs.enumerated() { results.set(i, Result { try action(ref) }) }
        }
        var failed = false
        for (i, ref) in refs.enumerated() {
            switch results.get(i) {
            case .success?: print(ref)
            case .failure(let e as BerthError)?:
                printError("Error response from daemon: \(e.message)")
                failed = true
            case .failure(let e)?: throw e
            case nil: break
            }
        }
        if failed { throw CLIFailure(code: 1) }
    }

    static func path(_ ref: String) -> String { "/containers/" + BerthClient.escapePath(ref) }
}

/// Results filled in by concurrent requests, read after they all ended.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Void, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<Void, any Error>) { lock.withLock { slots[i] = r } }
    func get(_ i: Int) -> Result<Void, any Error>? { lock.withLock { slots[i] } }
}
