import BerthCore
import BerthSystem
import Foundation

/// The OCI runtime berthd will use, and why.
public struct RuntimeChoice: Sendable, Equatable {
    public var name: String
    public var path: String
    public var reason: String

    public init(name: String, path: String, reason: String) {
        self.name = name
        self.path = path
        self.reason = reason
    }
}

/// Picks crun where it can run containers on this host, else runc, by trying a real container.
/// (crun 1.8 refuses hosts with hybrid cgroups — v1 controllers plus a unified mount — which is
/// only visible when it runs.)
public enum RuntimeProbe {
    static func find(_ name: String) -> String? {
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            let p = dir + "/" + name
            if FileSystem.exists(p) { return p }
        }
        return nil
    }

    public static func choose(preferred: String?, scratch: String, busybox: String = "/bin/busybox") -> Result<RuntimeChoice, BerthError> {
        let crun = find("crun")
        let runc = find("runc")
        if let preferred {
            guard let path = find(preferred) else {
                return .failure(.notFound("OCI runtime \(preferred) is not installed: apt-get install -y \(preferred)"))
            }
            return .success(RuntimeChoice(name: preferred, path: path, reason: "chosen with --runtime"))
        }
        if let crun {
            switch trial(runtime: crun, scratch: scratch, busybox: busybox) {
            case nil:
                return .success(RuntimeChoice(name: "crun", path: crun, reason: "crun ran a trial container"))
            case let failure?:
                if let runc {
                    return .success(
                        RuntimeChoice(name: "runc", path: runc, reason: "crun refused a trial container (\(failure)); using runc"))
                }
                return .failure(BerthError(.system, "crun cannot run containers here (\(failure)) and runc is not installed: apt-get install -y runc"))
            }
        }
        if let runc { return .success(RuntimeChoice(name: "runc", path: runc, reason: "crun is not installed")) }
        return .failure(.notFound("no OCI runtime found: apt-get install -y crun runc"))
    }

    /// Runs `/busybox true` in a throwaway bundle; nil on success, else the runtime's first error line.
    static func trial(runtime: String, scratch: String, busybox: String) -> String? {
        let id = "berth-probe-" + Identifier.random().prefix(12)
        let dir = scratch + "/" + id
        defer {
            _ = try? Subprocess.run([runtime, "--root", dir + "/state", "delete", "--force", id])
            try? FileSystem.removeTree(dir)
        }
        do {
            try FileSystem.makeDirectories(dir + "/rootfs", mode: 0o700)
            try FileSystem.writeFile(dir + "/rootfs/busybox", try FileSystem.readFile(busybox), mode: 0o755)
            var c = ContainerRuntimeConfig(id: id, rootfs: dir + "/rootfs", args: ["/busybox", "true"])
            c.cgroupsPath = "/berth-probe/\(id)"
            let spec = try SpecBuilder.build(c)
            let encoder = JSONEncoder()
            try FileSystem.writeFile(dir + "/config.json", Array(try encoder.encode(spec)), mode: 0o600)
            let r = try Subprocess.run([runtime, "--root", dir + "/state", "run", "--bundle", dir, id])
            for sub in ["memory", "pids", "cpu,cpuacct", "cpuset", "devices", "freezer", "blkio", "net_cls,net_prio", "perf_event", "hugetlb", "misc", "systemd", "unified", ""] {
                FileSystem.removeDirectory("/sys/fs/cgroup/\(sub)/berth-probe/\(id)")
                FileSystem.removeDirectory("/sys/fs/cgroup/\(sub)/berth-probe")
            }
            return r.succeeded ? nil : OCIRuntime.firstLine(r.stderr + r.stdout)
        } catch {
            return "\(error)"
        }
    }
}
