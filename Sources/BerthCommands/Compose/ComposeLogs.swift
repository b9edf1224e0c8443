import ArgumentParser
import BerthAPI
import BerthClient
import BerthCompose
import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `berth compose logs`: every service's output, each line prefixed `service-1  | `.
struct ComposeLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the output of the project's containers, each line prefixed with its service.")

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Follow the output until the containers stop.") var follow = false
    @Flag(name: [.short, .long], help: "Show timestamps.") var timestamps = false
    @Flag(name: .customLong("no-log-prefix"), help: "Do not prefix lines with the service.") var noLogPrefix = false
    @Option(
        name: [.customShort("n"), .customLong("tail")],
        help: "Number of lines from the end of each container's output (or all).")
    var tail: String?
    @Argument(help: "Services (all when none are named).") var services: [String] = []

    func run() throws {
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        let list = try session.containers(services: services)
        var q = "?stdout=1&stderr=1"
        if follow { q += "&follow=1" }
        if timestamps { q += "&timestamps=1" }
        if let tail { q += "&tail=" + BerthClient.escapeQuery(tail) }
        let printer = ComposeLogPrinter(session: session, containers: list, prefix: !noLogPrefix)
        printer.stream(query: q)
    }
}

/// Copies several containers' output streams to this process's stdout/stderr, one whole line at a
/// time, prefixed with the service (`remote-control-1  | …`), one thread per container.
final class ComposeLogPrinter: @unchecked Sendable {
    let session: ComposeSession
    let containers: [ContainerSummary]
    let prefix: Bool
    let width: Int
    private let lock = NSLock()

    init(session: ComposeSession, containers: [ContainerSummary], prefix: Bool = true) {
        self.session = session
        self.containers = containers
        self.prefix = prefix
        width = containers.map { session.shortName($0).count }.max() ?? 0
    }

    func write(_ line: String, of c: ContainerSummary, stream: UInt8) {
        let name = session.shortName(c)
        let text = (prefix ? name.padding(toLength: width, withPad: " ", startingAt: 0) + "  | " : "") + line + "\n"
        lock.withLock {
            (stream == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
        }
    }

    /// One container's stream, to its end (the container stopping, with follow=1).
    func follow(_ c: ContainerSummary, query: String) {
        var demux = StreamDemultiplexer()
        var pending: [UInt8: [UInt8]] = [:]
        _ = try? session.client.stream("GET", "/containers/\(c.Id)/logs" + query) { bytes in
            for frame in demux.feed(bytes) {
                var buf = pending[frame.stream, default: []] + frame.payload
                while let nl = buf.firstIndex(of: 10) {
                    write(String(decoding: buf[..<nl], as: UTF8.self), of: c, stream: frame.stream)
                    buf.removeFirst(nl + 1)
                }
                pending[frame.stream] = buf
            }
        }
        for (stream, rest) in pending where !rest.isEmpty {
            write(String(decoding: rest, as: UTF8.self), of: c, stream: stream)
        }
    }

    /// Streams every container at once; returns when all streams ended.
    func stream(query: String) {
        let group = DispatchGroup()
        for c in containers {
            group.enter()
            Thread.detachNewThread { [self] in
                follow(c, query: query)
                group.leave()
            }
        }
        group.wait()
    }

    /// `up` without -d: follows the started services until they all end (then prints their exit
    /// codes) or SIGINT/SIGTERM arrives (then stops them, as docker compose does, and exits 130).
    static func attach(session: ComposeSession, services: [String], timeout: Int?) throws {
        // Blocked before the log threads exist, so they inherit the mask and sigtimedwait below gets the signal.
        Signals.block([SIGINT, SIGTERM])
        let list = try session.containers(services: services)
        printError("Attaching to \(list.map(session.name).joined(separator: ", "))")
        let printer = ComposeLogPrinter(session: session, containers: list)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            printer.stream(query: "?stdout=1&stderr=1&follow=1")
            done.signal()
        }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        while true {
            if done.wait(timeout: .now()) == .success {
                for c in try session.containers(services: services) {
                    let code =
                        (try? session.client.call("GET", "/containers/\(c.Id)/json", as: ContainerInspect.self))?.State
                        .ExitCode ?? 0
                    printError("\(session.shortName(c)) exited with code \(code)")
                }
                return
            }
            var ts = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let sig = sigtimedwait(&set, nil, &ts)
            if sig == SIGINT || sig == SIGTERM {
                printError("Gracefully stopping... (press Ctrl+C again to force)")
                // A second Ctrl-C now ends berth at once (the default action), while the stops go on in berthd.
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                try? session.forEach(list) { c in
                    try? session.client.send("POST", "/containers/\(c.Id)/stop" + ComposeUp.query(timeout))
                    ComposeSession.progress("Container \(session.name(c))", "Stopped")
                }
                throw CLIFailure(code: 130)
            }
        }
    }
}
