import BerthCore
import BerthSystem

/// Which cgroup hierarchies a machine mounts.
public enum CgroupLayout: Sendable, Equatable {
    /// Controllers on cgroup v1 hierarchies only.
    case v1
    /// One unified cgroup v2 hierarchy.
    case v2
    /// Controllers on v1 hierarchies plus a (mostly empty) v2 mount, as systemd's "hybrid" mode.
    case hybrid
}

/// The cgroup filesystems mounted in this mount namespace, read from `/proc/self/mountinfo`.
public struct CgroupMounts: Sendable, Equatable {
    /// One cgroup or cgroup2 mount.
    public struct Mount: Sendable, Equatable {
        /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
        public var mountpoint: String
        /// The cgroup shown at the mount point (mountinfo field 4), `/` unless bind-mounted or namespaced.
        public var root: String
        /// v1 controllers on this hierarchy (`memory`, `cpu`, `name=systemd`); empty for cgroup2.
        public var controllers: [String]
        /// A cgroup2 (unified) mount.
        public var isV2: Bool
    }

    /// Every cgroup and cgroup2 mount, in mountinfo order.
    public var mounts: [Mount]

    public init(mounts: [Mount]) { self.mounts = mounts }

    /// Mount options of cgroup v1 that are not controllers.
    static let nonControllerOptions: Set<String> = [
        "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "nosuid", "nodev", "noexec",
        "relatime",
    ]

    /// Parses mountinfo(5) text. Mount points keep the kernel's octal escapes decoded (`\040` is a space).
    public static func parse(mountinfo: String) -> CgroupMounts {
        var mounts: [Mount] = []
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count >= dash + 4 else { continue }
            let type = fields[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { continue }
            let superOptions = fields[dash + 3].split(separator: ",").map(String.init)
            let controllers =
                type == "cgroup2"
                ? []
                : superOptions.filter {
                    !nonControllerOptions.contains($0) && (!$0.contains("=") || $0.hasPrefix("name="))
                }
            mounts.append(
                Mount(
                    mountpoint: unescape(fields[4]), root: unescape(fields[3]), controllers: controllers,
                    isV2: type == "cgroup2"))
        }
        return CgroupMounts(mounts: mounts)
    }

    /// The mounts this process sees now.
    public static func current() throws -> CgroupMounts {
        do {
            return parse(mountinfo: try FileSystem.readText("/proc/self/mountinfo"))
        } catch {
            throw BerthError(.system, "cannot read /proc/self/mountinfo to find the cgroup mounts", cause: error)
        }
    }

    /// v1 when only v1 hierarchies carry controllers, v2 when none do, hybrid when a v2 mount sits
    /// beside v1 controller hierarchies. (A lone `name=systemd` v1 mount carries no controller.)
    public var layout: CgroupLayout {
        let hasV1Controllers = mounts.contains { !$0.isV2 && $0.controllers.contains { !$0.hasPrefix("name=") } }
        let hasV2 = mounts.contains { $0.isV2 }
        switch (hasV1Controllers, hasV2) {
        case (true, true): return .hybrid
        case (true, false): return .v1
        default: return .v2
        }
    }

    /// The v1 mount carrying `controller` ("memory", "pids", "name=systemd"), if any.
    public func mount(controller: String) -> Mount? {
        mounts.first { !$0.isV2 && $0.controllers.contains(controller) }
    }

    /// Where the v1 hierarchy of `controller` is mounted; nil when it is not on v1 (see `unified`).
    public func mountpoint(controller: String) -> String? { mount(controller: controller)?.mountpoint }

    /// The cgroup v2 mount, if any.
    public var unifiedMount: Mount? { mounts.first { $0.isV2 } }

    /// Where the cgroup v2 hierarchy is mounted (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` in hybrid mode).
    public var unified: String? { unifiedMount?.mountpoint }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
                let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                out.append(v)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A process's cgroups, from `/proc/<pid>/cgroup` (`hierarchy-id:controllers:path` lines).
public struct ProcessCgroups: Sendable, Equatable {
    /// Path per v1 controller ("memory" → "/berth/abc"); `name=systemd` is keyed as written.
    public var paths: [String: String]
    /// The path in the v2 hierarchy (the `0::` line), if any.
    public var unifiedPath: String?

    public init(paths: [String: String], unifiedPath: String?) {
        self.paths = paths
        self.unifiedPath = unifiedPath
    }

    /// Parses the text of `/proc/<pid>/cgroup`; a v1 line naming several controllers (`cpu,cpuacct`)
    /// gives each of them the path.
    public static func parse(_ procPidCgroup: String) -> ProcessCgroups {
        var paths: [String: String] = [:]
        var unified: String?
        for line in procPidCgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { continue }
            if f[0] == "0" && f[1].isEmpty {
                unified = f[2]
            } else {
                for controller in f[1].split(separator: ",") { paths[String(controller)] = f[2] }
            }
        }
        return ProcessCgroups(paths: paths, unifiedPath: unified)
    }

    /// Reads `/proc/<pid>/cgroup`.
    public static func of(pid: Int32) throws -> ProcessCgroups {
        do {
            return parse(try FileSystem.readText("/proc/\(pid)/cgroup"))
        } catch where error.errno == .ENOENT || error.errno == .ESRCH {
            throw BerthError.notFound("no process with pid \(pid): it may have exited")
        } catch {
            throw BerthError(.system, "cannot read /proc/\(pid)/cgroup", cause: error)
        }
    }

    /// The cgroup of a v1 `controller`.
    public func path(controller: String) -> String? { paths[controller] }
}

/// Finds a process's cgroup and reads what berth shows users: the memory limit (N4) and the
/// processes sharing that cgroup (V4).
public enum CgroupInspector {
    /// Values of `memory.limit_in_bytes` at or above this mean "no limit" (the kernel shows
    /// PAGE_COUNTER_MAX pages rounded down: 9223372036854771712 on 4 KiB pages).
    static let v1Unlimited: Int64 = 1 << 62

    /// The memory limit of `pid`'s cgroup in bytes, or nil when unlimited.
    public static func memoryLimit(ofPid pid: Int32) throws -> Int64? {
        let file = try memoryLimitFile(ofPid: pid)
        let text: String
        do {
            text = try FileSystem.readText(file).trimmingSpaces
        } catch {
            throw BerthError(.system, "cannot read the memory limit of process \(pid) from \(file)", cause: error)
        }
        if text == "max" { return nil }
        guard let value = Int64(text) else {
            throw BerthError(.system, "unexpected memory limit \"\(text)\" in \(file)", causeText: nil)
        }
        return value >= v1Unlimited ? nil : value
    }

    /// The file that holds `pid`'s memory limit: `memory.limit_in_bytes` of the v1 memory
    /// hierarchy when memory is on v1 (v1 and hybrid), else `memory.max` in the v2 hierarchy.
    public static func memoryLimitFile(ofPid pid: Int32) throws -> String {
        let mounts = try CgroupMounts.current()
        let cgroups = try ProcessCgroups.of(pid: pid)
        if let mount = mounts.mount(controller: "memory"), let path = cgroups.path(controller: "memory") {
            return join(mount, path) + "/memory.limit_in_bytes"
        }
        if let mount = mounts.unifiedMount, let path = cgroups.unifiedPath {
            return join(mount, path) + "/memory.max"
        }
        throw BerthError(
            .system, "cannot find the memory cgroup of process \(pid): no memory controller is mounted",
            causeText: nil)
    }

    /// The directory of `pid`'s cgroup used to list its members: the v2 cgroup on a pure v2 machine,
    /// else the v1 `pids` (or `memory`) hierarchy, which runc and crun fill for every container.
    public static func cgroupDirectory(ofPid pid: Int32) throws -> String {
        let mounts = try CgroupMounts.current()
        let cgroups = try ProcessCgroups.of(pid: pid)
        if mounts.layout != .v2 {
            for controller in ["pids", "memory", "cpu"] {
                if let mount = mounts.mount(controller: controller), let path = cgroups.path(controller: controller) {
                    return join(mount, path)
                }
            }
        }
        if let mount = mounts.unifiedMount, let path = cgroups.unifiedPath { return join(mount, path) }
        throw BerthError(.system, "cannot find the cgroup of process \(pid)", causeText: nil)
    }

    /// Every process in `pid`'s cgroup (its `cgroup.procs`), `pid` included.
    public static func pids(inCgroupOf pid: Int32) throws -> [Int32] {
        let file = try cgroupDirectory(ofPid: pid) + "/cgroup.procs"
        do {
            return try FileSystem.readText(file).split(separator: "\n").compactMap { Int32($0) }
        } catch {
            throw BerthError(.system, "cannot list the processes in \(file)", cause: error)
        }
    }

    /// A cgroup path as seen by the process joined to the mount that shows it. Paths in
    /// /proc/<pid>/cgroup are relative to the reader's cgroup namespace root, which is the mount's
    /// root when both were made in the same namespace; a mount of a sub-tree strips that prefix.
    static func join(_ mount: CgroupMounts.Mount, _ path: String) -> String {
        var relative = path
        if mount.root != "/" && (relative == mount.root || relative.hasPrefix(mount.root + "/")) {
            relative = String(relative.dropFirst(mount.root.count))
        }
        if relative == "/" || relative.isEmpty { return mount.mountpoint }
        return mount.mountpoint + (relative.hasPrefix("/") ? relative : "/" + relative)
    }
}
