import BerthCore
import BerthImage
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

extension ContainerEngine {
    // MARK: exits

    /// Notices containers whose process ended: an `ExitWatcher` thread waits on every running
    /// container's monitor (a pidfd each) and hands an ended one to `monitorEnded`, so nothing is
    /// polled, however many containers run.
    public func startWatcher() {
        guard exitWatcher == nil else { return }
        exitWatcher = try? ExitWatcher { [weak self] key, pid in
            let id = ContainerEngine.containerId(ofWatchKey: key)
            Task { await self?.monitorEnded(id, pid: pid) }
        }
    }

    /// The watcher's keys: the container's id for its monitor's pidfd, and `exitedKey(id)` for the
    /// pipe the monitor closes once it recorded the exit (it is deleting the runtime's record then).
    static func exitedKey(_ id: String) -> String { id + " exited" }
    static func containerId(ofWatchKey key: String) -> String { String(key.split(separator: " ").first ?? "") }

    public func stopWatcher() {
        exitWatcher?.stop()
        exitWatcher = nil
    }

    /// Watches a running container's monitor (after start, and for containers adopted at boot).
    /// Without a watcher (it could not start), `wait`/`stop` still see exits: they check on demand.
    /// `exited`: the pipe a monitor started by this berthd closes once it recorded the exit, before
    /// the runtime's delete; the exit is finished from then on, the monitor reaped when it ends.
    func watchMonitor(_ c: ContainerRecord, exited: Int32? = nil) {
        startWatcher()
        guard let watcher = exitWatcher else {
            if let exited { Syscall.close(exited) }
            return
        }
        if let exited { watcher.watch(ContainerEngine.exitedKey(c.id), descriptor: exited, pid: pid_t(c.monitorPid)) }
        watcher.watch(c.id, pid: pid_t(c.monitorPid))
    }

    func monitorEnded(_ id: String, pid: pid_t) async {
        // Reap the monitor if it is our child (started by this berthd); only that pid, never
        // waitpid(-1), which would steal exit statuses of other children (exec, nft). Still running
        // (it only said the container exited): reaped when its pidfd reports it.
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid || !Processes.isAlive(pid) {
            if exitingMonitors.removeValue(forKey: id) != nil { changes.signal(id) }
        }
        await checkExit(id)
    }

    /// Finishes `id` if it is running but its monitor reported an exit or is gone. True when the
    /// container is (now) not running.
    @discardableResult
    func checkExit(_ id: String) async -> Bool {
        // Several callers may notice one exit (the monitor's exited pipe, then its end; wait, stop):
        // one finishes it, the others wait for that, so it is finished (and restarted) once.
        if finishingExits.contains(id) {
            await waitWhile(id, lookingEvery: .milliseconds(50)) { finishingExits.contains(id) }
            return true
        }
        guard let c = try? store.read({ tx in try tx.container(id: id) }) else { return true }
        guard c.state == .running else { return true }
        var status: Int32 = 0
        _ = waitpid(pid_t(c.monitorPid), &status, WNOHANG)
        let state = MonitorState.read(files(c.id).state)
        if state?.status == .exited || !Processes.isAlive(Int32(c.monitorPid)) {
            // The monitor stays watched until it ends: it is reaped then.
            exitWatcher?.unwatch(ContainerEngine.exitedKey(c.id))
            if Processes.isAlive(Int32(c.monitorPid)) { exitingMonitors[c.id] = Int32(c.monitorPid) }
            finishingExits.insert(c.id)
            defer {
                finishingExits.remove(c.id)
                changes.signal(c.id)
            }
            await finishExit(c, state: state)
            return true
        }
        return false
    }

    /// After the container's process ended: its endpoints, namespace pins and rootfs go (Docker keeps
    /// a stopped container's files but not its network); `--rm` removes the container.
    func finishExit(_ c: ContainerRecord, state: MonitorState?) async {
        var c = c
        c.state = .exited
        c.exitCode = Int(state?.exitCode ?? 255)
        c.finishedAt = state?.finishedAt ?? Clock.rfc3339Now()
        c.oomKilled = state?.oomKilled ?? false
        if state == nil || state?.status != .exited { c.error = "the container's monitor ended without recording an exit" }
        c.pid = 0
        c.monitorPid = 0
        await releaseResources(&c)
        // While this awaited, `rm -f` may have removed the container (or begun to): writing the
        // record back would bring a removed container back as "Exited".
        guard let current = try? container(c.id), current.state != .removing else { return }
        try? save(c)
        if let spec = try? spec(of: c), spec.autoRemove {
            rememberRemoved(c.id, exitCode: c.exitCode)
            try? await remove(c.id, force: true)
        } else if let spec = try? spec(of: c) {
            restartIfPolicySays(c, policy: spec.restartPolicy)
        }
    }

    /// Where removed containers' directories wait to be deleted (next to `containersDirectory`, so the
    /// doctor's scan of that one does not take them for orphans).
    var removedDirectory: String { config.containersDirectory + ".removed" }

    /// Moves a removed container's directory aside (one rename) and deletes it after the caller has its
    /// answer: deleting the files took ~3 ms on the path of every `rm` and `run --rm`. A crash before the
    /// delete is finished leaves it to the next start of berthd (`reconcile`) or `berthd --cleanup`.
    func removeLater(_ directory: String) throws {
        try FileSystem.makeDirectories(removedDirectory, mode: 0o700)
        let aside = removedDirectory + "/" + Identifier.random()
        guard rename(directory, aside) == 0 else {
            try FileSystem.removeTree(directory)
            return
        }
        Task.detached(priority: .background) { try? FileSystem.removeTree(aside) }
    }

    /// Endpoints, netns pins, rootfs mount. Keeps going past failures; a failure leaves the record's
    /// fields set so the next start of berthd (or `rm`) finishes the job.
    func releaseResources(_ c: inout ContainerRecord) async {
        for ep in (try? await networks.endpoints(owner: c.id)) ?? [] {
            try? await networks.disconnect(endpoint: ep.id, sandboxGoing: true)
        }
        if !c.sandbox.isEmpty { await networks.setDNSServers(sandbox: c.sandbox, servers: []) }
        if !c.namedNetns.isEmpty, (try? NetworkNamespace(path: c.namedNetns).delete()) != nil { c.namedNetns = "" }
        if !c.sandbox.isEmpty, (try? NetworkNamespace(path: c.sandbox).delete()) != nil { c.sandbox = "" }
        if c.rootfsMounted, (try? OverlayRootfs.unmount(files(c.id).rootfs)) != nil { c.rootfsMounted = false }
        // The runtime's cgroup goes with `runtime delete`, which the monitor does after it recorded
        // the exit; make sure, unless that monitor is still at it.
        if let monitor = exitingMonitors[c.id], Processes.isAlive(monitor) { return }
        try? config.runtime.delete(id: c.id, force: true)
    }

    // MARK: stop, kill, wait

    /// `docker stop`: the stop signal, then SIGKILL after `timeout` seconds.
    public func stop(_ ref: String, timeout: Int?) async throws {
        let c = try container(ref)
        // Before the signal, so the exit it causes is not restarted by the policy (nor a pending restart made).
        markStoppedByUser(c.id, true)
        guard c.state == .running else { throw BerthError(.notModified, "container \(c.name) is not running") }
        let spec = try spec(of: c)
        let seconds = timeout ?? spec.stopTimeout
        try signalContainer(c, spec.stopSignal.isEmpty ? "SIGTERM" : spec.stopSignal)
        if try await waitForExit(c.id, seconds: Double(max(0, seconds))) { return }
        try signalContainer(c, "SIGKILL")
        _ = try await waitForExit(c.id, seconds: 30)
    }

    /// `docker kill`: a signal (default SIGKILL) to the container's first process.
    public func kill(_ ref: String, signal: String?) async throws {
        let c = try container(ref)
        guard c.state == .running else {
            throw BerthError.conflict("Cannot kill container: \(c.name): container is not running")
        }
        let sig = ContainerEngine.normalizeSignal(signal ?? "SIGKILL")
        if sig == "SIGKILL" || sig == "SIGTERM" || sig == "9" || sig == "15" { markStoppedByUser(c.id, true) }
        try signalContainer(c, sig)
        if sig == "SIGKILL" { _ = try await waitForExit(c.id, seconds: 30) }
    }

    /// Signals the container's first process: straight from berthd while it is its monitor's child
    /// (one syscall, no runtime process), else through the runtime (`runc kill`).
    func signalContainer(_ c: ContainerRecord, _ signal: String) throws {
        if let number = Signals.number(signal),
            Signals.sendToChild(pid_t(c.pid), of: pid_t(c.monitorPid), signal: number)
        {
            return
        }
        try config.runtime.kill(id: c.id, signal: signal)
    }

    static func normalizeSignal(_ s: String) -> String {
        if Int(s) != nil { return s }
        let up = s.uppercased()
        return up.hasPrefix("SIG") ? up : "SIG" + up
    }

    /// Waits until the container is no longer running; true when it ended within `seconds`.
    /// Woken by the exit being recorded; it looks on its own every 250 ms in case no watcher runs.
    func waitForExit(_ id: String, seconds: Double) async throws -> Bool {
        let deadline = WallClock.nowNanoseconds() + Int64(seconds * 1e9)
        while true {
            let generation = changes.generation
            if await checkExit(id) { return true }
            let left = deadline - WallClock.nowNanoseconds()
            if left <= 0 { return false }
            try Task.checkCancellation()
            await changes.wait(for: id, since: generation, timeout: .nanoseconds(min(left, 250_000_000)))
        }
    }

    /// `docker wait`: blocks until the container is not running; its exit code.
    /// `condition` "next-exit" waits for a running container's next exit, "removed" for removal.
    public func wait(_ ref: String, condition: String = "not-running") async throws -> Int {
        let c: ContainerRecord
        do {
            c = try container(ref)
        } catch {
            // Removed by --rm just before this wait came: the code it ended with.
            if let code = removedExitCodes[ref] { return code }
            throw error
        }
        var lastCode = c.exitCode
        while true {
            let generation = changes.generation
            await checkExit(c.id)
            guard let now = try? container(c.id) else {
                // Removed (--rm): the code it had when it exited, kept by finishExit below.
                return removedExitCodes[c.id] ?? lastCode
            }
            lastCode = now.exitCode
            if condition == "removed" && now.state == .removing && !now.error.isEmpty {
                // A removal that failed halfway: it is finished when berthd restarts, not now.
                throw BerthError(.system, "container \(now.name) was only partly removed: \(now.error)")
            }
            if condition != "removed" && now.state != .running && now.state != .starting
                && !(condition == "next-exit" && now.state == .created)
            {
                return now.exitCode
            }
            try Task.checkCancellation()
            await changes.wait(for: c.id, since: generation, timeout: .milliseconds(250))
        }
    }

    public func restart(_ ref: String, timeout: Int?) async throws {
        let c = try container(ref)
        if c.state == .running { try await stop(c.id, timeout: timeout) }
        markStoppedByUser(c.id, false)
        restartDelays[c.id] = nil
        try await start(c.id)
    }

    /// Waits (ten seconds at most) until the monitor of `id`'s last run ended: it records the exit,
    /// then deletes the runtime's record and cgroup. A restart must not race that delete, and `rm`
    /// returns only once nothing of the container is left, the monitor included.
    func waitForExitingMonitor(_ id: String) async {
        let deadline = WallClock.nowNanoseconds() + 10_000_000_000
        await waitWhile(id, lookingEvery: .milliseconds(20)) {
            guard let monitor = exitingMonitors[id] else { return false }
            return Processes.isAlive(monitor) && WallClock.nowNanoseconds() < deadline
        }
    }

    /// Waits while `condition` holds, woken by changes to `id`'s record (and looking again every
    /// `interval` in case the change that ends it is not one).
    func waitWhile(_ id: String, lookingEvery interval: Duration, _ condition: () -> Bool) async {
        while condition() {
            let generation = changes.generation
            await changes.wait(for: id, since: generation, timeout: interval)
        }
    }

    func rememberRemoved(_ id: String, exitCode: Int) {
        if removedExitCodes.updateValue(exitCode, forKey: id) == nil { removedOrder.append(id) }
        if removedOrder.count > 256 { removedExitCodes[removedOrder.removeFirst()] = nil }
    }

    // MARK: remove

    /// `docker rm`: refuses a running container unless `force` (then kills it first). Removes the
    /// container's directory (logs, bundle, upper layer) and its record.
    public func remove(_ ref: String, force: Bool) async throws {
        var c = try container(ref)
        if c.state == .running || c.state == .starting {
            guard force else {
                throw BerthError.conflict(
                    "You cannot remove a running container \(c.id). Stop the container before attempting removal or force remove")
            }
            markStoppedByUser(c.id, true)  // no restart policy brings it back meanwhile
            try? signalContainer(c, "SIGKILL")
            if !(try await waitForExit(c.id, seconds: 30)) {
                throw BerthError(.system, "container \(c.name) did not stop after SIGKILL; try again")
            }
            c = try container(c.id)
        }
        // Only specs that mention a container network mode are decoded (cheap with many containers).
        let sharers = try store.read { tx in try tx.runningContainers(specContaining: "container:") }
        if let sharing = sharers.first(where: {
            $0.id != c.id
                && ((try? spec(of: $0).networkMode) == "container:\(c.name)"
                    || (try? spec(of: $0).networkMode) == "container:\(c.id)")
        }) {
            guard force else {
                throw BerthError.conflict("container \(c.name) shares its network with running container \(sharing.name); remove that one first")
            }
        }
        c.state = .removing
        c.error = ""
        try save(c)
        await releaseResources(&c)
        var failures: [String] = []
        if !c.namedNetns.isEmpty { failures.append("netns \(c.namedNetns)") }
        if !c.sandbox.isEmpty { failures.append("netns \(c.sandbox)") }
        if c.rootfsMounted { failures.append("rootfs mount \(files(c.id).rootfs)") }
        do {
            // With a mount left inside, the directory stays where it is (removeTree unmounts it).
            if failures.isEmpty { try removeLater(files(c.id).directory) } else { try FileSystem.removeTree(files(c.id).directory) }
        } catch { failures.append("\(error)") }
        execs = execs.filter { $0.value.containerId != c.id }
        if !failures.isEmpty {
            c.error = "only partly removed (" + failures.joined(separator: "; ") + "); berth finishes when it restarts"
            try? save(c)
            throw BerthError(
                .system, "container \(c.name) was only partly removed; berth will finish when it restarts",
                causeText: failures.joined(separator: "; "))
        }
        await waitForExitingMonitor(c.id)
        try store.write { [c] tx in try tx.deleteContainer(id: c.id) }
        decodedSpecs[c.id] = nil
        changes.signal(c.id)
    }

    // MARK: startup

    /// The containers whose monitors still run (their published ports are held by those monitors).
    public func liveOwners() -> Set<String> {
        Set(((try? list()) ?? []).filter { $0.state == .running && Processes.isAlive(Int32($0.monitorPid)) }.map(\.id))
    }

    /// After berthd starts: containers that kept running are adopted; those that exited meanwhile
    /// get their real exit code and are tidied; half-started or half-removed ones are finished.
    @discardableResult
    public func reconcile() async -> [String] {
        var report: [String] = []
        // Directories of removed containers whose delete a crash interrupted.
        try? FileSystem.removeTree(removedDirectory)
        for var c in (try? list()) ?? [] {
            switch c.state {
            case .running:
                let state = MonitorState.read(files(c.id).state)
                if state?.status == .exited || !Processes.isAlive(Int32(c.monitorPid)) {
                    await finishExit(c, state: state)
                    report.append("container \(c.name) exited while berthd was away (exit code \(state?.exitCode ?? 255))")
                } else {
                    if let spec = try? spec(of: c), !c.sandbox.isEmpty, !spec.dns.isEmpty {
                        await networks.setDNSServers(sandbox: c.sandbox, servers: spec.dns)
                    }
                    watchMonitor(c)
                    report.append("container \(c.name) still running (pid \(c.pid))")
                }
            case .starting:
                if Processes.isAlive(Int32(c.monitorPid)) { try? signalContainer(c, "SIGKILL") }
                c.state = .exited
                c.exitCode = 255
                c.error = "berthd stopped while the container was starting"
                await releaseResources(&c)
                try? save(c)
                report.append("undid the half-made start of \(c.name)")
            case .removing:
                do {
                    try await remove(c.id, force: true)
                    report.append("finished removing \(c.name)")
                } catch { report.append("could not finish removing \(c.name): \(error)") }
            case .created, .exited:
                if !c.sandbox.isEmpty || !c.namedNetns.isEmpty || c.rootfsMounted {
                    await releaseResources(&c)
                    try? save(c)
                }
            }
        }
        report += await startByPolicyAtBoot()
        return report
    }

    /// Stops and removes every container (for `berthd --cleanup` and tests).
    public func teardownAll() async {
        for c in (try? list()) ?? [] { try? await remove(c.id, force: true) }
        // The removals' own deletes may still be running: a try they race can fail, the next does not.
        for _ in 0..<5 {
            if (try? FileSystem.removeTree(removedDirectory)) != nil, !FileSystem.exists(removedDirectory) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
