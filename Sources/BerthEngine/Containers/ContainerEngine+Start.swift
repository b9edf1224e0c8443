import BerthAddressing
import BerthCore
import BerthImage
import BerthMonitor
import BerthNetlink
import BerthRuntime
import BerthStore
import BerthSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContainerEngine {
    /// Starts a created or exited container: network namespace (pinned at its SandboxKey and under
    /// `/run/netns/<name>`), endpoints and published ports, hosts/hostname/resolv.conf, the overlay
    /// root filesystem, the OCI bundle, then the monitor, which runs the runtime. Every step is
    /// recorded first and undone when a later one fails.
    public func start(_ ref: String) async throws {
        var c = try container(ref)
        if c.state == .running { throw BerthError(.notModified, "container \(c.name) is already running") }
        guard c.state == .created || c.state == .exited else {
            throw BerthError.conflict("container \(c.name) is \(c.state.rawValue); wait until it is done")
        }
        let spec = try spec(of: c)
        let image = try images.resolve(spec.imageId)
        let f = files(c.id)
        // The last run's monitor may still be deleting the runtime's record of this id.
        await waitForExitingMonitor(c.id)
        c = try container(c.id)
        guard c.state == .created || c.state == .exited else {
            throw BerthError.conflict("container \(c.name) is \(c.state.rawValue); wait until it is done")
        }
        let rollback = Rollback()
        do {
            c.state = .starting
            c.error = ""
            try save(c)
            rollback.add("state of \(c.name)") { [store, changes, c] in
                var back = c
                back.state = c.startedAt.isEmpty ? .created : .exited
                back.sandbox = ""
                back.namedNetns = ""
                try store.write { [back] tx in try tx.save(back) }
                changes.signal(back.id)
            }
            // 1. Network namespace.
            let netMode: NamespaceMode
            var peer: ContainerRecord?
            if spec.networkMode == "host" {
                netMode = .host
            } else if spec.networkMode.hasPrefix("container:") {
                let other = try container(String(spec.networkMode.dropFirst("container:".count)))
                guard other.state == .running else {
                    throw BerthError.conflict("cannot join the network of container \(other.name): it is not running")
                }
                peer = other
                let otherSpec = try self.spec(of: other)
                netMode = otherSpec.networkMode == "host" ? .host : .path(NetworkNamespace.of(pid: Int32(other.pid)).path)
            } else {
                let path = config.netnsDirectory + "/" + c.id
                c.sandbox = path
                try save(c)
                try NetworkNamespace.create(at: path)
                rollback.add("netns \(path)") { try NetworkNamespace(path: path).delete() }
                if !config.namedNetnsDirectory.isEmpty {
                    let named = config.namedNetnsDirectory + "/" + c.name
                    c.namedNetns = named
                    try save(c)
                    try ContainerEngine.pin(path, at: named)
                    rollback.add("netns name \(named)") { try NetworkNamespace(path: named).delete() }
                }
                netMode = .path(path)
            }
            // 2. Endpoints and published ports (attaching also brings lo up; with none, it is done here).
            if !c.sandbox.isEmpty && spec.networks.isEmpty {
                let path = c.sandbox
                try await DedicatedThread.run { try ContainerEngine.loopbackUp(in: NetworkNamespace(path: path)) }
            }
            var addresses: [(ip: String, hostname: String)] = []
            // --dns on a user-defined network: the embedded resolver forwards there (resolv.conf keeps 127.0.0.11).
            if !c.sandbox.isEmpty && !spec.dns.isEmpty {
                await networks.setDNSServers(sandbox: c.sandbox, servers: spec.dns)
            }
            if !c.sandbox.isEmpty {
                var ports = spec.ports
                if spec.publishAll {
                    var published = Set(ports.map { "\($0.containerPort)/\($0.proto)" })
                    for (port, proto) in spec.exposedPortList where published.insert("\(port)/\(proto)").inserted {
                        ports.append(PortBinding(proto: proto, hostPort: 0, containerPort: port))
                    }
                }
                for (i, a) in spec.networks.enumerated() {
                    let ep = try await networks.connect(
                        EndpointRequest(
                            network: a.network, ownerId: c.id, ownerName: c.name, sandbox: c.sandbox,
                            sandboxInterface: "eth\(i)", ipv4: a.ipv4, mac: a.mac,
                            aliases: a.aliases, ports: i == 0 ? ports.map(ContainerEngine.portRequest) : [],
                            defaultRoute: i == 0))
                    if let ip = ep.ipv4 { addresses.append((ip, spec.hostname)) }
                }
            }
            // 3. Files the container sees.
            try await writeEtcFiles(c, spec: spec, addresses: addresses, peer: peer)
            // 4. Root filesystem: its directories here; the monitor mounts the overlay in a mount
            // namespace of its own (`PrivateRootfs`), so the host's mount table gets no line for it.
            // (A mount an older berthd made here is unmounted when that run ends: `releaseResources`.)
            let layers = images.layerDirectories(of: image)
            let overlayOptions = try OverlayRootfs.prepare(layers: layers, upper: f.upper, work: f.work, target: f.rootfs)
            // 5. Bundle. Users are looked up in the layers as the overlay will show them.
            let runtimeConfig = try runtimeConfig(c, spec: spec, network: netMode)
            let oci = try SpecBuilder.build(
                runtimeConfig, rootfsUsers: UserResolver(layers: [f.upper] + layers.reversed()))
            try FileSystem.makeDirectories(f.bundle, mode: 0o700)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try FileSystem.writeFile(f.configJSON, Array(try encoder.encode(oci)), mode: 0o600)
            // 6. The monitor, holding the published ports' reservations. A runtime record left by a
            // monitor that died while deleting it would make the runtime refuse the id.
            try? config.runtime.delete(id: c.id, force: true)
            unlink(f.state)
            unlink(f.pidFile)
            let held = await networks.portDescriptors(owner: c.id)
            // The monitor closes its end of this pipe once it reported running (or exits): berthd
            // wakes at that moment instead of polling state.json.
            let notify = try Processes.pipe()
            defer { Syscall.close(notify.read) }
            // And this one once it recorded the exit (see `watchMonitor`).
            let exited = try Processes.pipe()
            var exitedRead: Int32? = exited.read
            defer { if let fd = exitedRead { Syscall.close(fd) } }
            let monitor = ContainerMonitor(
                files: f, runtime: config.runtime, holdFds: held, tty: spec.tty, openStdin: spec.openStdin,
                notifyFd: notify.write, exitedFd: exited.write, overlayOptions: overlayOptions,
                hiddenMounts: [config.netnsDirectory] + (config.namedNetnsDirectory.isEmpty ? [] : [config.namedNetnsDirectory]),
                netnsPin: c.sandbox.isEmpty ? nil : c.sandbox)
            let log = try ContainerEngine.openAppend(f.monitorLog)
            defer { Syscall.close(log) }
            let monitorPid: pid_t
            do {
                defer {
                    Syscall.close(notify.write)
                    Syscall.close(exited.write)
                }
                monitorPid = try Processes.spawn(
                    monitor.arguments(monitorPath: config.monitorPath), stdin: nil,
                    stdout: log, stderr: log, inherit: held + [notify.write, exited.write], newSession: true)
            }
            c.monitorPid = Int(monitorPid)
            try save(c)
            let state = try await waitForMonitor(f, monitorPid: monitorPid, notify: notify.read)
            // A process that ends within the poll interval is seen as exited already: it did start.
            guard state.status == .running || (state.status == .exited && state.startedAt != nil) else {
                let message = state.error ?? "the container's process ended before it started"
                c.exitCode = Int(state.exitCode ?? 125)
                throw BerthError(
                    .invalidArgument,
                    "failed to create task for container \(c.name): \(message)",
                    causeText: "exit code \(c.exitCode)")
            }
            await networks.handOverPorts(owner: c.id)
            c.state = .running
            c.pid = Int(state.pid)
            c.startedAt = state.startedAt ?? Clock.rfc3339Now()
            c.finishedAt = ""
            c.exitCode = 0
            try save(c)
            rollback.commit()
            watchMonitor(c, exited: exitedRead)
            exitedRead = nil  // the watcher owns it now
        } catch {
            c.error = "\(error)"
            // Endpoints first (they live in the namespace the undo stack removes); disconnect is async,
            // so it is done here rather than as an undo step.
            for ep in (try? await networks.endpoints(owner: c.id)) ?? [] {
                try? await networks.disconnect(endpoint: ep.id, sandboxGoing: true)
            }
            let failures = rollback.unwind()
            if var after = try? container(c.id) {
                after.error = (error as? BerthError)?.message ?? "\(error)"
                after.exitCode = c.exitCode == 0 ? 125 : c.exitCode
                // Like Docker: a container that never ran stays "created", with the error and code.
                if after.state == .starting { after.state = after.startedAt.isEmpty ? .created : .exited }
                try? save(after)
            }
            throw NetworkEngine.wrap(error, "cannot start container \(c.name)", undoFailures: failures)
        }
    }

    /// Waits until the monitor reports running or exited (or dies without a word).
    func waitForMonitor(_ f: ContainerFiles, monitorPid: Int32, notify: Int32? = nil) async throws -> MonitorState {
        if let notify {
            // End of file on the pipe: the monitor reported, or died (then the loop below tells which).
            _ = try? await DedicatedThread.run { Processes.pollReadable([notify], timeoutMs: 30_000) }
        }
        for _ in 0..<3000 {
            if let s = MonitorState.read(f.state), s.status != .starting { return s }
            // The monitor is our child until it exits: reap it if it died early.
            var status: Int32 = 0
            if waitpid(monitorPid, &status, WNOHANG) == monitorPid {
                if let s = MonitorState.read(f.state), s.status != .starting { return s }
                let log = (try? FileSystem.readText(f.monitorLog)) ?? ""
                return MonitorState(status: .exited, monitorPid: monitorPid, exitCode: 125, error: "berth-monitor failed: \(log)")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw BerthError(.system, "the container's monitor did not report within 30 seconds; see \(f.monitorLog)")
    }

    func save(_ c: ContainerRecord) throws {
        try store.write { [c] tx in try tx.save(c) }
        changes.signal(c.id)
    }

    static func openAppend(_ path: String) throws -> Int32 {
        try Syscall.retrying("open \(path)") { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
    }

    /// Pins an existing namespace at another path (like `ip netns attach`), for `ip netns list|exec`.
    static func pin(_ source: String, at path: String) throws {
        try FileSystem.makeDirectories(parentOf: path, mode: 0o755)
        if NetworkNamespace(path: path).exists {
            throw BerthError.conflict("\(path) already names a network namespace; remove it (ip netns delete) or rename the container")
        }
        let fd = try Syscall.retrying("create \(path)") { open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o444) }
        Syscall.close(fd)
        try FileSystem.bindMount(source, at: path)
    }

    /// `ip link set lo up` in the namespace, over netlink (no process).
    static func loopbackUp(in namespace: NetworkNamespace) throws {
        try NetlinkConnection(namespace: namespace).setUp(.name("lo"))
    }

    static func portRequest(_ p: PortBinding) -> PortRequest {
        PortRequest(
            proto: p.proto, hostIP: IPv4Address(p.hostIP), hostPort: p.hostPort, hostPortEnd: p.hostPortEnd,
            containerPort: p.containerPort)
    }
}
