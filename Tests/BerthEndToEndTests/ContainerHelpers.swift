import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Daemon {
    /// `start` from async tests, off the concurrency pool.
    func startOffPool() async throws {
        try await DedicatedThread.run { [self] in try self.start() }
    }

    /// `berth ARGS`, expecting success; returns trimmed stdout.
    @discardableResult
    func ok(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await cli(args)
        #expect(r.status == 0, "berth \(args.joined(separator: " ")) → \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        return r.stdout.trimmed
    }

    /// `berth inspect -f FORMAT REF`.
    func inspect(_ ref: String, _ format: String) async throws -> String {
        try await ok(["inspect", "-f", format, ref])
    }

    /// A shell command in the daemon's "host" namespace.
    func hostSh(_ command: String) async throws -> SubprocessResult { try await host.shAsync(command) }

    /// A shell command in the machine's own namespaces, waited for off the concurrency pool.
    func machineSh(_ command: String) async throws -> SubprocessResult {
        try await DedicatedThread.run { try Subprocess.run(["/bin/sh", "-c", command]) }
    }

    /// Everything a container could leave behind on the host, as text to compare before/after.
    func leftovers(ids: [String] = []) async throws -> String {
        var parts: [String] = []
        parts.append(try await host.shAsync("ip -o link show | grep -o 'veth[0-9a-f]*' | sort").stdout)
        parts.append(FileSystem.listDirectory(run + "/netns").sorted().joined(separator: ","))
        parts.append(FileSystem.listDirectory(netnsDirectory).sorted().joined(separator: ","))
        parts.append(try await host.shAsync("nft list table ip \(table) 2>/dev/null | grep -c 'dnat\\|comment' || true").stdout)
        parts.append(try await machineSh("grep -c ' \(root)' /proc/mounts || true").stdout)
        let cgroups = Set(FileSystem.listDirectory("/sys/fs/cgroup/memory/berth") + FileSystem.listDirectory("/sys/fs/cgroup/pids/berth"))
        parts.append("cgroups: " + ids.filter { cgroups.contains($0) }.joined(separator: ","))
        parts.append(try await machineSh("pgrep -f 'berth-monitor \(root)' | wc -l").stdout)
        parts.append(FileSystem.listDirectory(root + "/containers").sorted().joined(separator: ","))
        return parts.joined(separator: "\n--\n")
    }
}
