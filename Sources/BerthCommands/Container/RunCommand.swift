import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import Foundation

/// `berth run`: create + start, then (unless -d) show the output and exit with the container's code.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and run a new container from an image.",
        discussion: """
            Exit status like docker's: the container's own exit code; 125 when berthd refuses (bad flags,
            unknown image, a host port in use); 126 when the command cannot be invoked; 127 when it is not found.
            Without -d the container's output is shown until it ends (stdin is not attached yet).
            """)

    @Flag(name: [.short, .long], help: "Run in the background and print the container's ID.") var detach = false
    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.") var remove = false
    @OptionGroup var options: CreateOptions
    @Argument(help: "Image to run (busybox is built in).") var image: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        let client = try Connection.client()
        var request = try options.request(image: image, command: command)
        if options.tty { printError("berth: -t is not supported yet; running without a TTY") }
        if remove && detach { request.HostConfig?.AutoRemove = true }
        let id = try ContainerCLI.create(client, request, name: options.name, image: image)
        do {
            try client.send("POST", "/containers/\(id)/start")
        } catch let e as BerthError {
            printError("berth: Error response from daemon: \(e.message)")
            if remove { try? client.send("DELETE", "/containers/\(id)?force=1") }
            throw CLIFailure(code: ContainerCLI.startFailureCode(e.message))
        }
        if detach {
            print(id)
            return
        }
        try ContainerCLI.streamOutput(client, path: "/containers/\(id)/logs?follow=1&stdout=1&stderr=1")
        let wait = try client.call("POST", "/containers/\(id)/wait", as: ContainerWaitResponse.self)
        if remove { try? client.send("DELETE", "/containers/\(id)?force=1") }
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

    /// Copies a (multiplexed) output stream to this process's stdout and stderr.
    static func streamOutput(_ client: BerthClient, path: String, method: String = "GET", body: [UInt8]? = nil, upgrade: Bool = false) throws {
        var demux = StreamDemultiplexer()
        try client.stream(method, path, body: body, upgrade: upgrade) { bytes in
            for frame in demux.feed(bytes) {
                (frame.stream == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(Data(frame.payload))
            }
        }
    }

    /// Runs `action` for each reference, printing it on success like docker; errors are printed and
    /// the command exits 1 at the end.
    static func each(_ refs: [String], _ action: (String) throws -> Void) throws {
        var failed = false
        for ref in refs {
            do {
                try action(ref)
                print(ref)
            } catch let e as BerthError {
                printError("Error response from daemon: \(e.message)")
                failed = true
            }
        }
        if failed { throw CLIFailure(code: 1) }
    }

    static func path(_ ref: String) -> String { "/containers/" + BerthClient.escapePath(ref) }
}
