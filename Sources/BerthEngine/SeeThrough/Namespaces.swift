import BerthAPI
import BerthCore
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension ContainerEngine {
    /// `berth ns`: the inode of every namespace of each container's first process next to the reference's
    /// (PID 1 when its namespaces can be read, else berthd's own), with the container's cgroup and memory.
    public func namespaces(_ refs: [String]) async throws -> NamespaceReport {
        var chosen: [ContainerRecord] = []
        if refs.isEmpty {
            chosen = try list().filter { $0.state == .running && $0.pid > 0 }.sorted { $0.name < $1.name }
        } else {
            for r in refs {
                let c = try container(r)
                guard c.state == .running, c.pid > 0 else {
                    throw BerthError.conflict(
                        "container \(c.name) is not running: only a running container has namespaces to show; start it first"
                    )
                }
                chosen.append(c)
            }
        }
        let reference = Self.namespaceReference()
        var rows: [ContainerNamespaces] = []
        for c in chosen {
            let pid = Int32(c.pid)
            let inodes = Self.namespaceInodes(pid: pid)
            // A process that exited since the record was read has no /proc entry left.
            if inodes.isEmpty && !refs.isEmpty {
                throw BerthError.conflict("container \(c.name) is not running any more (process \(pid) is gone)")
            }
            guard !inodes.isEmpty else { continue }
            let shared = NamespaceReport.types.filter { t in inodes[t] != nil && inodes[t] == reference.Namespaces[t] }
            let cgroups = try? ProcessCgroups.of(pid: pid)
            let limitFile = try? CgroupInspector.memoryLimitFile(ofPid: pid)
            rows.append(
                ContainerNamespaces(
                    ID: c.id, Name: c.name, Pid: c.pid, Namespaces: inodes, SharedWithReference: shared,
                    Cgroup: cgroups.flatMap { $0.path(controller: "memory") ?? $0.unifiedPath } ?? "",
                    MemoryLimit: try? CgroupInspector.memoryLimit(ofPid: pid),
                    MemoryUsage: limitFile.flatMap(Self.memoryUsage(besideLimitFile:))))
        }
        return NamespaceReport(
            Reference: reference, Containers: rows,
            Shared: NamespaceReport.shared(reference: reference.Namespaces, containers: rows))
    }

    /// `readlink /proc/PID/ns/*` as inodes (stat of the nsfs file). Types the kernel lacks, or a process
    /// that is gone, are left out.
    static func namespaceInodes(pid: Int32) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for type in NamespaceReport.types {
            if let inode = try? NetworkNamespace(path: "/proc/\(pid)/ns/\(type)").inode() { out[type] = inode }
        }
        return out
    }

    /// PID 1 is the natural reference (what seed 002 compares with), but some machines refuse even root
    /// a look at it (EACCES from a security module); berthd's own namespaces then stand in, and the
    /// report says so.
    static func namespaceReference() -> NamespaceReference {
        let init1 = namespaceInodes(pid: 1)
        if init1.count == NamespaceReport.types.count || (!init1.isEmpty && init1["net"] != nil) {
            return NamespaceReference(
                Kind: "pid1", Pid: 1, Reason: "PID 1 (the init process) is the reference", Namespaces: init1)
        }
        let me = getpid()
        return NamespaceReference(
            Kind: "berthd", Pid: Int(me),
            Reason:
                "PID 1's namespaces cannot be read here (/proc/1/ns refuses access), so berthd's own (pid \(me)) are the reference",
            Namespaces: namespaceInodes(pid: me))
    }

    /// `memory.usage_in_bytes` (v1) or `memory.current` (v2) next to the limit file.
    static func memoryUsage(besideLimitFile file: String) -> Int64? {
        guard let slash = file.lastIndex(of: "/") else { return nil }
        let dir = String(file[..<slash])
        let name = file.hasSuffix("memory.max") ? "memory.current" : "memory.usage_in_bytes"
        return (try? FileSystem.readText(dir + "/" + name)).flatMap {
            Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// What `berth debug` enters: the container's network namespace (its pin, or its process's for the
    /// host and `container:` modes), its PID namespace, and its own resolv.conf and hosts files.
    public func debugInfo(_ ref: String) async throws -> DebugInfo {
        let c = try container(ref)
        guard c.state == .running, c.pid > 0, Glibc.kill(pid_t(c.pid), 0) == 0 else {
            throw BerthError.conflict("container \(c.name) is not running: start it first (berth start \(c.name))")
        }
        let f = files(c.id)
        let net = !c.sandbox.isEmpty && NetworkNamespace(path: c.sandbox).exists ? c.sandbox : "/proc/\(c.pid)/ns/net"
        return DebugInfo(
            ID: c.id, Name: c.name, Pid: c.pid, NetworkNamespace: net, PidNamespace: "/proc/\(c.pid)/ns/pid",
            ResolvConf: FileSystem.exists(f.resolvConf) ? f.resolvConf : "",
            Hosts: FileSystem.exists(f.hosts) ? f.hosts : "")
    }
}
