import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Daemon {
    /// `berth ARGS`, expecting success; returns trimmed stdout.
    @discardableResult
    func ok(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try cli(args)
        #expect(r.status == 0, "berth \(args.joined(separator: " ")) → \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        return r.stdout.trimmed
    }

    /// `berth inspect -f FORMAT REF`.
    func inspect(_ ref: String, _ format: String) throws -> String {
        try ok(["inspect", "-f", format, ref])
    }

    /// A shell command in the daemon's "host" namespace.
    func hostSh(_ command: String) throws -> SubprocessResult { try host.sh(command) }

    /// Everything a container could leave behind on the host, as text to compare before/after.
    func leftovers(ids: [String] = []) throws -> String {
        var parts: [String] = []
        parts.append(try host.sh("ip -o link show | grep -o 'veth[0-9a-f]*' | sort").stdout)
        parts.append(FileSystem.listDirectory(run + "/netns").sorted().joined(separator: ","))
        parts.append(FileSystem.listDirectory(netnsDirectory).sorted().joined(separator: ","))
        parts.append(try host.sh("nft list table ip \(table) 2>/dev/null | grep -c 'dnat\\|comment' || true").stdout)
        parts.append(try TestSupport.sh("grep -c ' \(root)' /proc/mounts || true").stdout)
        let cgroups = Set(FileSystem.listDirectory("/sys/fs/cgroup/memory/berth") + FileSystem.listDirectory("/sys/fs/cgroup/pids/berth"))
        parts.append("cgroups: " + ids.filter { cgroups.contains($0) }.joined(separator: ","))
        parts.append(try TestSupport.sh("pgrep -f 'berth-monitor \(root)' | wc -l").stdout)
        parts.append(FileSystem.listDirectory(root + "/containers").sorted().joined(separator: ","))
        return parts.joined(separator: "\n--\n")
    }
}
