import CBerthSystem
#if !hasFeature(Embedded)
import BerthCore
import BerthSystem
#endif

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc  // berth-monitor: one Embedded Swift module with these sources (Package.swift)
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
    /// `-t`: the container's process gets a pseudo-terminal (the runtime hands the master to us).
    public var tty: Bool
    /// `-i`: the container's stdin stays open and is fed through the attach socket.
    public var openStdin: Bool
    /// `--notify=FD`: a pipe closed once `state.json` says running (or exited), so berthd waits for
    /// that without polling the file.
    public var notifyFd: Int32?
    /// `--exited=FD`: a pipe closed once `state.json` says exited, before the runtime's delete, so
    /// berthd releases the container's network and files while the runtime cleans up its cgroup.
    public var exitedFd: Int32?
    /// `--overlay=OPTIONS`: the overlay mount options of the container's root filesystem, which the
    /// monitor mounts on `files.rootfs` in a mount namespace of its own (see `PrivateRootfs`).
    public var overlayOptions: String?
    /// `--hide=DIR` (repeatable): mount points of namespace pins (`$BERTH_RUN/netns`, `/run/netns`)
    /// detached in that private mount namespace, so the runtime does not read a line for every other
    /// container; `--netns=PATH`, the container's own pin, is bound again there for the runtime.
    public var hiddenMounts: [String]
    public var netnsPin: String?

    public init(
        files: ContainerFiles, runtime: OCIRuntime, holdFds: [Int32], tty: Bool = false, openStdin: Bool = false,
        notifyFd: Int32? = nil, exitedFd: Int32? = nil, overlayOptions: String? = nil, hiddenMounts: [String] = [],
        netnsPin: String? = nil
    ) {
        self.files = files
        self.runtime = runtime
        self.holdFds = holdFds
        self.tty = tty
        self.openStdin = openStdin
        self.notifyFd = notifyFd
        self.exitedFd = exitedFd
        self.overlayOptions = overlayOptions
        self.hiddenMounts = hiddenMounts
        self.netnsPin = netnsPin
    }

    /// Parses `berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [--tty] [--stdin] [--notify=FD]
    /// [--exited=FD] [--overlay=OPTIONS] [--hide=DIR…] [--netns=PATH] [FD,FD…]`.
    public static func fromArguments(_ args: [String]) -> ContainerMonitor? {
        guard args.count >= 6 else { return nil }
        var fds: [Int32] = []
        var tty = false
        var stdin = false
        var notify: Int32?
        var exited: Int32?
        var overlay: String?
        var hidden: [String] = []
        var netns: String?
        for a in args.dropFirst(6) {
            switch a {
            case "--tty": tty = true
            case "--stdin": stdin = true
            case _ where a.hasPrefix("--notify="):
                guard let fd = Int32(a.dropFirst("--notify=".count)) else { return nil }
                notify = fd
            case _ where a.hasPrefix("--exited="):
                guard let fd = Int32(a.dropFirst("--exited=".count)) else { return nil }
                exited = fd
            case _ where a.hasPrefix("--overlay="):
                overlay = String(a.dropFirst("--overlay=".count))
            case _ where a.hasPrefix("--hide="):
                hidden.append(String(a.dropFirst("--hide=".count)))
            case _ where a.hasPrefix("--netns="):
                netns = String(a.dropFirst("--netns=".count))
            default:
                let parsed = a.split(separator: ",").map { Int32($0) }
                guard !parsed.contains(nil) else { return nil }
                fds += parsed.compactMap { $0 }
            }
        }
        return ContainerMonitor(
            files: ContainerFiles(directory: args[1], id: args[2]),
            runtime: OCIRuntime(name: args[3], path: args[4], root: args[5]), holdFds: fds, tty: tty, openStdin: stdin,
            notifyFd: notify, exitedFd: exited, overlayOptions: overlay, hiddenMounts: hidden, netnsPin: netns)
    }

    public func arguments(monitorPath: String) -> [String] {
        var args = [monitorPath, files.directory, files.id, runtime.name, runtime.path, runtime.root]
        if tty { args.append("--tty") }
        if openStdin { args.append("--stdin") }
        if let fd = notifyFd { args.append("--notify=\(fd)") }
        if let fd = exitedFd { args.append("--exited=\(fd)") }
        if let overlayOptions { args.append("--overlay=" + overlayOptions) }
        for dir in hiddenMounts { args.append("--hide=" + dir) }
        if let netnsPin { args.append("--netns=" + netnsPin) }
        if !holdFds.isEmpty { args.append(holdFds.map(String.init).joined(separator: ",")) }
        return args
    }

    /// Runs the container to its end. Returns the process exit status of the monitor itself.
    public func run() -> Int32 {
        let me = getpid()
        // Whatever berthd had open (its API connections, sockets) must not stay open here: a client
        // waiting for its reply to end would wait for as long as the container runs.
        let signals = [notifyFd, exitedFd].compactMap { $0 }
        Processes.closeDescriptors(except: Set([0, 1, 2] + holdFds + signals))
        for fd in signals { Processes.setCloseOnExec(fd) }
        for fd in holdFds { Processes.setCloseOnExec(fd) }
        Processes.ignoreSignal(SIGPIPE)
        // berthd stopping must not stop the monitor: it ignores the usual terminal signals.
        Processes.ignoreSignal(SIGHUP)
        Processes.ignoreSignal(SIGINT)
        // Children's exits wake the poll loops below through this pipe, so they block without a
        // timeout: an idle container's monitor does not wake up at all.
        let childExits: Int32
        do {
            try Processes.becomeSubreaper()
            childExits = try Processes.childExitDescriptor()
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
        let io: MonitorIO
        do {
            io = try MonitorIO(
                files: files, consoleSocket: tty ? try runtime.consoleSocket("c-" + files.id) : nil, openStdin: openStdin)
        } catch { return fail("monitor cannot set up the container's stdin or terminal: \(error)", code: 125) }

        // 1. The root filesystem, in a mount namespace of our own that we leave once the runtime is
        // done and berthd told: only the container's own mount namespace keeps it (see `PrivateRootfs`).
        var hostMounts: Int32?
        if let overlayOptions {
            switch PrivateRootfs.mount(overlay: overlayOptions, on: files.rootfs, hiding: hiddenMounts, netns: netnsPin) {
            case .success(let host): hostMounts = host
            case .failure(let e): return fail(e.message, code: 125)
            }
        }
        // 2. `run --detach`: the runtime makes the namespaces and cgroup and starts the process, then
        // exits; the process is left to us (the subreaper). One runtime invocation, not create + start.
        let runPid: pid_t
        do {
            runPid = try Processes.spawn(
                runtime.runDetachedArguments(
                    id: files.id, bundle: files.bundle, pidFile: files.pidFile, consoleSocket: io.consoleSocket),
                stdin: io.containerStdin, stdout: out.write, stderr: err.write)
        } catch { return fail("cannot run \(runtime.path): \(error)", code: 125) }
        Syscall.close(out.write)
        Syscall.close(err.write)
        io.createdRuntime()
        Processes.setNonBlocking(out.read)
        Processes.setNonBlocking(err.read)
        var pumps = [Pump(fd: out.read, stream: "stdout"), Pump(fd: err.read, stream: "stderr")]
        // Until the runtime exits, what arrives is kept per pipe: on failure its stderr is the runtime's
        // message; on success it is the program's first output, logged to its own stream.
        var early: [Int32: [UInt8]] = [:]
        var runStatus: Int32?
        // The program may end before the runtime does: its status is kept until we know its pid.
        var otherExits: [pid_t: Int32] = [:]
        while runStatus == nil {
            let open = pumps.filter { !$0.closed }.map { $0.fd }
            for fd in Processes.pollReady(readable: open + io.consoleListener + [childExits], timeoutMs: -1) {
                if fd == childExits {
                    Processes.drainChildExits(fd)
                } else if io.consoleListener.contains(fd) {
                    io.receiveConsole()
                } else if let p = pumps.first(where: { $0.fd == fd && !$0.closed }) {
                    switch Processes.readOrEnd(fd) {
                    case .some(let b) where b.isEmpty: p.close()
                    case .some(let b): early[fd, default: []] += b
                    case nil: break
                    }
                }
            }
            while let (pid, status) = Processes.reapAny() {
                if pid == runPid { runStatus = status } else { otherExits[pid] = status }
            }
        }
        if runStatus != 0 {
            let message = OCIRuntime.firstLine(String(decoding: early[err.read] ?? [], as: UTF8.self))
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
            return fail(message, code: OCIRuntime.startFailureCode(message))
        }
        for p in pumps {
            if let b = early[p.fd], !b.isEmpty { p.take(b, into: log) }
        }
        if tty {
            // The runtime may have connected just before it exited.
            if io.master == nil, !Processes.pollReadable(io.consoleListener, timeoutMs: 1000).isEmpty { io.receiveConsole() }
            guard let master = io.master else {
                _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
                return fail("\(runtime.name) did not hand over the container's terminal", code: 125)
            }
            pumps.append(Pump(fd: master, stream: "stdout", closesFd: false))
        }
        io.closeConsoleListener()
        guard let text = try? FileSystem.readText(files.pidFile),
            let pid = OCIRuntime.pid(fromPidFile: text)
        else {
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
            return fail("\(runtime.name) did not report the container's process id", code: 125)
        }
        let startedAt = WallClock.rfc3339()
        try? MonitorState(status: .running, monitorPid: me, pid: pid, startedAt: startedAt).write(files.state)
        if let fd = notifyFd { Syscall.close(fd) }
        // Back to the host's mount namespace once berthd knows the container runs: dropping the last
        // hold on our private one unmounts its copies (~2 ms), which need not delay the start. A process
        // that already ended: after its exit is recorded, for the same reason.
        if otherExits[pid] == nil, let host = hostMounts {
            PrivateRootfs.leave(to: host)
            hostMounts = nil
        }

        // 3. pump output until the container's first process ends.
        var exitCode: Int32? = otherExits[pid]
        while exitCode == nil {
            // Blocks until output, an attach client, room for pending stdin, or a child's exit.
            let ready = Processes.pollReady(
                readable: pumps.filter { !$0.closed }.map { $0.fd } + io.pollDescriptors + [childExits],
                writable: io.inputWaitingForRoom, timeoutMs: -1)
            for fd in ready {
                if fd == childExits {
                    Processes.drainChildExits(fd)
                } else if let p = pumps.first(where: { !$0.closed && $0.fd == fd }) {
                    p.drain(into: log)
                } else {
                    io.handleReadable(fd)
                }
            }
            io.flushInput()
            while let (reaped, status) = Processes.reapAny() {
                if reaped == pid { exitCode = status }
            }
        }
        // What the process wrote just before it ended; daemons it left behind may hold the pipes,
        // so read for a short while only.
        let deadline = WallClock.nowNanoseconds() + 300_000_000
        while !pumps.allSatisfy({ $0.closed }) && WallClock.nowNanoseconds() < deadline {
            for fd in Processes.pollReadable(pumps.filter { !$0.closed }.map { $0.fd }, timeoutMs: 50) {
                pumps.first { $0.fd == fd }?.drain(into: log)
            }
        }
        for p in pumps { p.flush(into: log) }
        io.close()
        let oom = oomKilled()
        try? MonitorState(
            status: .exited, monitorPid: me, pid: pid, startedAt: startedAt, finishedAt: WallClock.rfc3339(),
            exitCode: exitCode, oomKilled: oom && exitCode == 137
        ).write(files.state)
        // berthd finishes the exit (network, rootfs, --rm) while the runtime deletes its record and
        // cgroup; berthd leaves that delete to us while we run.
        if let fd = exitedFd { Syscall.close(fd) }
        if let host = hostMounts { PrivateRootfs.leave(to: host) }
        if !runtime.deleteEnded(id: files.id) {
            _ = try? Subprocess.run(runtime.deleteArguments(id: files.id, force: true))
        }
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

/// A container's root filesystem is mounted in a mount namespace of its monitor's, not in the host's.
/// The monitor unshares its mount namespace, makes every mount in it a slave (nothing mounted here
/// reaches the host), mounts the overlay, runs the runtime there, and returns to the host's namespace
/// once the runtime has exited and berthd has been told the container runs (or, when it has ended
/// already, that it ended). The container's own mount namespace, copied from this one, keeps the
/// overlay as its `/`; nothing else does, so it goes when the container's last process ends.
///
/// So the host's mount table has no line per container for its root filesystem: the OCI runtime reads
/// the whole table (`/proc/self/mountinfo`, several times per start), and with 500 containers an
/// overlay line each (about 500 bytes of layer paths) made every start slower. A crash of berthd or
/// the monitor can leave no rootfs mount behind either.
enum PrivateRootfs {
    struct Failure: Error { var message: String }

    /// Returns the descriptor of the namespace to go back to. `hidden` mount points (the directories
    /// of network namespace pins) are detached there, all their pins with them, and `netns`, the
    /// container's own pin, is bound again from a descriptor opened before: the runtime then reads a
    /// mount table without a line per other container.
    static func mount(overlay options: String, on target: String, hiding hidden: [String], netns: String?)
        -> Result<Int32, Failure>
    {
        let host = berth_open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC, 0)
        guard host >= 0 else { return .failure(Failure(message: "cannot open the monitor's mount namespace: \(Errno.current)")) }
        // Each step's failure: its errno named, and back to the host's namespace (the private one ends).
        func failed(_ what: String, stayed: Bool = false) -> Result<Int32, Failure> {
            let e = Errno.current
            if stayed { Syscall.close(host) } else { leave(to: host) }
            return .failure(Failure(message: "\(what): \(e)"))
        }
        if berth_unshare(berth_clone_newns()) != 0 {
            return failed("cannot make a mount namespace for the root filesystem", stayed: true)
        }
        if berth_mount(nil, "/", nil, berth_ms_rec() | berth_ms_slave(), nil) != 0 {
            return failed("cannot keep the root filesystem's mount from the host")
        }
        if !hidden.isEmpty {
            let pin = netns.map { berth_open($0, O_RDONLY | O_CLOEXEC, 0) } ?? -1
            if let netns, pin < 0 { return failed("cannot open the container's network namespace \(netns)") }
            defer { if pin >= 0 { Syscall.close(pin) } }
            for dir in hidden where berth_umount2(dir, berth_mnt_detach()) != 0 {
                if Errno.current == .EINVAL || Errno.current == .ENOENT { continue }  // not a mount point: its pins stay visible
                return failed("cannot detach \(dir) from the root filesystem's mount namespace")
            }
            if let netns, berth_is_nsfs(netns) != 1, berth_mount("/proc/self/fd/\(pin)", netns, nil, berth_ms_bind(), nil) != 0 {
                return failed("cannot bind the container's network namespace on \(netns)")
            }
        }
        if berth_mount("overlay", target, "overlay", 0, options) != 0 {
            return failed("cannot mount the container's root filesystem (overlay on \(target))")
        }
        return .success(host)
    }

    /// Back to the host's mount namespace; the private one ends unless a process still uses it.
    static func leave(to host: Int32) {
        _ = berth_setns(host, berth_clone_newns())
        Syscall.close(host)
    }
}

/// One output pipe of the container, cut into lines for the log.
final class Pump {
    let fd: Int32
    let stream: String
    /// false for a terminal's master, which `MonitorIO` owns.
    let closesFd: Bool
    var pending: [UInt8] = []
    var closed = false

    init(fd: Int32, stream: String, closesFd: Bool = true) {
        self.fd = fd
        self.stream = stream
        self.closesFd = closesFd
    }

    func drain(into log: LogWriter) {
        while !closed {
            // A terminal reads EIO once the container's side is gone: that is its end of file.
            guard let bytes = Processes.readOrEnd(fd) else { return }
            if bytes.isEmpty {
                closed = true
                if closesFd { Syscall.close(fd) }
                return
            }
            take(bytes, into: log)
        }
    }

    /// Cuts what was read into log entries.
    func take(_ bytes: [UInt8], into log: LogWriter) {
        if !closesFd {
            // A terminal's output goes to the log as it comes: prompts end without a newline.
            log.append(bytes, stream: stream)
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

    /// Stops reading: the pipe ended.
    func close() {
        guard !closed else { return }
        closed = true
        if closesFd { Syscall.close(fd) }
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
        fd = (try? FileSystem.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode: 0o640)) ?? -1
    }

    func append(_ bytes: [UInt8], stream: String) {
        guard fd >= 0 else { return }
        let line = LogLine(log: String(decoding: bytes, as: UTF8.self), stream: stream, time: WallClock.rfc3339())
        try? Processes.writeAll(fd, line.encoded())
    }
}

/// A container's stdin and terminal, as the monitor sees them: the pipe or terminal master its
/// input goes to, the console socket the runtime hands the master through, and the attach socket
/// berthd sends stdin and window sizes on (see `AttachMessage`).
final class MonitorIO {
    let files: ContainerFiles
    let tty: Bool
    /// Where the runtime hands over the terminal's master side (`-t` only).
    let consoleSocket: String?
    /// The container's stdin as given to the runtime (the read end of a pipe), nil for /dev/null.
    private(set) var containerStdin: Int32?
    /// Where stdin bytes are written: the pipe's write end, or the terminal master.
    private var input: Int32?
    private(set) var master: Int32?
    private(set) var consoleListener: [Int32] = []
    private var attachListener: Int32?
    private var connections: [Int32: AttachDecoder] = [:]
    private var pending: [UInt8] = []
    private var stdinClosed = false
    /// Input waiting while the container does not read is capped; beyond it, attach clients wait.
    static let maxPending = 1 << 20

    init(files: ContainerFiles, consoleSocket: String?, openStdin: Bool) throws(SystemCallError) {
        self.files = files
        self.tty = consoleSocket != nil
        self.consoleSocket = consoleSocket
        if let consoleSocket { consoleListener = [try UnixSocket.listen(consoleSocket)] }
        if openStdin && !tty {
            let p = try Processes.pipe()
            containerStdin = p.read
            input = p.write
            Processes.setNonBlocking(p.write)
        }
        if openStdin || consoleSocket != nil {
            let l = try UnixSocket.listen(files.attachSocket)
            Processes.setNonBlocking(l)
            attachListener = l
        }
        if !openStdin { stdinClosed = true }
    }

    /// After the runtime was spawned: the pipe's read end now belongs to it.
    func createdRuntime() {
        if let fd = containerStdin { Syscall.close(fd) }
        containerStdin = nil
    }

    func receiveConsole() {
        guard let l = consoleListener.first, master == nil, let conn = try? UnixSocket.accept(l) else { return }
        defer { Syscall.close(conn) }
        guard let fd = try? UnixSocket.receiveDescriptor(conn) else { return }
        Processes.setNonBlocking(fd)
        master = fd
        if !stdinClosed { input = fd }
    }

    func closeConsoleListener() {
        for fd in consoleListener { Syscall.close(fd) }
        consoleListener = []
        if let consoleSocket { try? FileSystem.remove(consoleSocket) }
    }

    var pollDescriptors: [Int32] {
        (pending.count < MonitorIO.maxPending ? Array(connections.keys) : []) + (attachListener.map { [$0] } ?? [])
    }

    /// The stdin descriptor while input waits for the container to read: poll it for room.
    var inputWaitingForRoom: [Int32] {
        if let fd = input, !pending.isEmpty { return [fd] }
        return []
    }

    func handleReadable(_ fd: Int32) {
        if fd == attachListener {
            if let conn = try? UnixSocket.accept(fd) {
                Processes.setNonBlocking(conn)
                connections[conn] = AttachDecoder()
            }
            return
        }
        guard var decoder = connections[fd] else { return }
        guard let bytes = Processes.readOrEnd(fd) else { return }
        if bytes.isEmpty {
            drop(fd)
            return
        }
        let messages = decoder.feed(bytes)
        if decoder.malformed {
            drop(fd)
        } else {
            connections[fd] = decoder
        }
        for m in messages { handle(m) }
    }

    private func drop(_ fd: Int32) {
        Syscall.close(fd)
        connections[fd] = nil
    }

    private func handle(_ m: AttachMessage) {
        switch m {
        case .stdin(let bytes):
            if !stdinClosed { pending += bytes }
        case .closeStdin:
            // A pipe is closed once what is pending was written; a terminal cannot be half-closed.
            if !tty { stdinClosed = true }
        case .resize(let rows, let cols):
            if let master { try? Terminal.setSize(master, rows: rows, cols: cols) }
        }
    }

    /// Writes what the container takes now; closes a pipe stdin whose client is done.
    func flushInput() {
        if let fd = input, !pending.isEmpty {
            do {
                let n = try Processes.writeSome(fd, pending[...])
                pending.removeFirst(n)
            } catch {
                // The container closed its stdin: nothing more can be delivered.
                pending = []
                stdinClosed = true
            }
        }
        if stdinClosed && pending.isEmpty, let fd = input, fd != master {
            Syscall.close(fd)
            input = nil
        }
    }

    func close() {
        for fd in connections.keys { Syscall.close(fd) }
        connections = [:]
        if let l = attachListener { Syscall.close(l) }
        attachListener = nil
        try? FileSystem.remove(files.attachSocket)
        if let fd = input, fd != master { Syscall.close(fd) }
        input = nil
        if let m = master { Syscall.close(m) }
        master = nil
    }
}
