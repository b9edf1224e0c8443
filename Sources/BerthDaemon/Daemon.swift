import BerthCore
import BerthEngine
import BerthStore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// One running berthd: owns the lock, the store, the engine and the API server.
final class Daemon: Sendable {
    let options: DaemonOptions

    init(options: DaemonOptions) { self.options = options }

    var socketPath: String { options.run + "/berth.sock" }

    func run() async throws -> Int32 {
        guard geteuid() == 0 else {
            throw BerthError(.forbidden, "berthd must run as root: it creates bridges, namespaces and nftables rules")
        }
        try FileSystem.makeDirectories(options.root, mode: 0o711)
        try FileSystem.makeDirectories(options.run, mode: 0o711)
        let lock: FileLock
        do {
            lock = try FileLock.acquire(options.run + "/berthd.lock", wait: false)
        } catch {
            throw BerthError.conflict(
                "another berthd is already running with --run \(options.run); stop it first or choose another BERTH_RUN")
        }
        defer { lock.unlock() }
        // For scripts and humans (`kill $(cat $BERTH_RUN/berthd.pid)`); the lock, not this file, decides
        // whether a berthd runs, so a stale pid file after a crash is harmless.
        let pidFile = options.run + "/berthd.pid"
        try FileSystem.writeFile(pidFile, Array("\(getpid())\n".utf8))
        defer { try? FileSystem.remove(pidFile) }

        let store = try Store(path: options.root + "/berth.db")
        let setup = try DaemonSetup.make(options: options, store: store)
        let engine = setup.engine
        for w in setup.warnings { Log.warning(w) }

        if options.cleanup {
            await setup.containers.teardownAll()
            try await engine.teardownAll()
            try? FileSystem.unmount(options.run + "/netns")
            try? FileSystem.remove(socketPath)
            Log.info("removed every network, bridge, veth and rule berth made")
            return 0
        }

        // Namespace pins live below one mount point of berth's, which a container's monitor detaches
        // in its private mount namespace (README "Mounts").
        // Pins made before a berth that did this (running containers') stay where they are: a bind
        // on top would hide them.
        let pins = options.run + "/netns"
        try FileSystem.makeSharedMountPoint(pins, bindOnItself: FileSystem.listDirectory(pins).isEmpty)
        // Containers whose monitors survived hold their published ports themselves.
        let live = await setup.containers.liveOwners()
        let report = try await engine.start(portsHeldElsewhere: live)
        for r in report.undone { Log.info("reconcile: undid half-made \(r)") }
        for r in report.finished { Log.info("reconcile: finished \(r)") }
        for r in report.recreated { Log.info("reconcile: recreated \(r)") }
        for r in report.failures { Log.warning("reconcile: \(r)") }
        for r in await setup.containers.reconcile() { Log.info("reconcile: \(r)") }
        Log.info("OCI runtime: \(setup.runtime.name) (\(setup.runtime.reason))")
        do {
            let busybox = try setup.images.ensureBuiltin(busyboxBinary: options.busybox)
            Log.info("built-in image busybox:latest is \(busybox.id)")
        } catch {
            Log.warning("no built-in busybox image: \(error)")
        }

        let server = try await DaemonSetup.startServer(setup: setup, socketPath: socketPath)
        Log.info("serving the Docker Engine API on \(socketPath)")
        // Start-up (reconciling, importing the built-in image) leaves freed heap behind: hand it back
        // to the kernel, so an idle berthd holds only what it uses.
        Processes.returnFreedMemory()
        let sig = try await Signals.wait(for: [SIGTERM, SIGINT])
        Log.info("received signal \(sig); stopping (networks stay; containers keep running)")
        try await server.stop()
        try? FileSystem.remove(socketPath)
        return 0
    }
}
