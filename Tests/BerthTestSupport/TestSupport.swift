import BerthCore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the privileged and end-to-end test tiers.
public enum TestSupport {
    /// A short random hex string for unique kernel object names (`bt3fa9c1`).
    public static func randomHex(_ count: Int = 6) -> String {
        String(Identifier.random().prefix(count))
    }

    /// Privileged tests need root; they fail loudly instead of being skipped (see DESIGN.md "Tests").
    public static func requireRoot() throws {
        if geteuid() != 0 {
            throw BerthError(.forbidden, "this test needs root (it uses real namespaces, netlink and nftables): run `make test` as root")
        }
    }

    /// A throwaway directory under /run (tmpfs), removed with `cleanup()`.
    public static func makeTempDirectory(prefix: String = "berth-test") throws -> String {
        let path = "/run/\(prefix)-\(randomHex(8))"
        try FileSystem.makeDirectories(path, mode: 0o700)
        return path
    }

    /// `rm -rf`, for test directories only. Unmounts nothing: callers delete namespaces first.
    public static func removeTree(_ path: String) {
        _ = try? Subprocess.run(["rm", "-rf", "--one-file-system", path])
    }

    /// Runs a shell command (tests only), returning its result.
    @discardableResult
    public static func sh(_ command: String) throws -> SubprocessResult {
        try Subprocess.run(["/bin/sh", "-c", command])
    }
}

/// A throwaway network namespace with lo up, pinned under its own /run directory; `close()` removes
/// both. Use with `defer { ns.close() }` so it goes even when the test fails.
public final class ScratchNamespace: @unchecked Sendable {
    public let directory: String
    public let namespace: NetworkNamespace
    public var path: String { namespace.path }

    public init(name: String = "ns") throws {
        try TestSupport.requireRoot()
        directory = try TestSupport.makeTempDirectory()
        do {
            namespace = try NetworkNamespace.create(at: directory + "/" + name)
            _ = try namespace.run { try Subprocess.run(["ip", "link", "set", "lo", "up"]) }
        } catch {
            TestSupport.removeTree(directory)
            throw error
        }
    }

    /// Runs a shell command inside the namespace (tests only).
    @discardableResult
    public func sh(_ command: String) throws -> SubprocessResult {
        try namespace.run { try Subprocess.run(["/bin/sh", "-c", command]) }
    }

    /// `sh` from async code: waits on a dedicated thread, so the concurrency pool stays free for the
    /// in-process servers (DNS, API) the command may be talking to.
    @discardableResult
    public func shAsync(_ command: String) async throws -> SubprocessResult {
        try await namespace.run { try Subprocess.run(["/bin/sh", "-c", command]) }
    }

    /// Starts a shell command inside the namespace without waiting; returns its pid (kill it in a `defer`).
    public func spawnBackground(_ command: String) throws -> Int32 {
        try namespace.run { try Processes.spawn(["/bin/sh", "-c", command]) }
    }

    public func close() {
        try? namespace.delete()
        TestSupport.removeTree(directory)
    }
}

extension TestSupport {
    /// Makes this test process the reaper of orphans (berthd's monitors outlive a killed berthd and
    /// would otherwise become zombies of a PID 1 that never reaps, as on these machines).
    public static func adoptOrphans() { try? Processes.becomeSubreaper() }

    /// Reaps our exited children named `name` (only those: other children belong to running calls).
    public static func reapZombies(named name: String) {
        let me = getpid()
        for entry in FileSystem.listDirectory("/proc") {
            guard let pid = Int32(entry), let stat = try? FileSystem.readText("/proc/\(pid)/stat") else { continue }
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            guard comm == name, rest.count > 2, rest[0] == "Z", Int32(rest[1]) == me else { continue }
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
    }
}
