import BerthCore
import BerthSystem

/// How a container gets one of its namespaces.
public enum NamespaceMode: Sendable, Equatable {
    /// Its own, new namespace.
    case `private`
    /// The host's (no namespace entry in the spec).
    case host
    /// An existing one: `/proc/<pid>/ns/<kind>` of another container, or a netns pin.
    case path(String)
}

/// A file or directory of the host bound into the container.
public struct BindMount: Sendable, Equatable {
    public var source: String
    public var destination: String
    public var readOnly: Bool

    public init(source: String, destination: String, readOnly: Bool) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }
}

/// Everything the spec builder needs to know about one container.
public struct ContainerRuntimeConfig: Sendable, Equatable {
    public var id: String
    public var rootfs: String
    public var args: [String]
    public var env: [String] = []
    public var cwd = "/"
    /// Docker's `-u`: "", "uid", "uid:gid", "name", "name:group".
    public var user = ""
    public var terminal = false
    public var hostname = ""
    public var domainname = ""
    public var network: NamespaceMode = .private
    public var pid: NamespaceMode = .private
    public var ipc: NamespaceMode = .private
    public var uts: NamespaceMode = .private
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var memoryBytes: Int64?
    public var nanoCPUs: Int64?
    public var pidsLimit: Int64?
    public var cgroupsPath = ""
    public var binds: [BindMount] = []
    public var sysctls: [String: String] = [:]

    public init(id: String, rootfs: String, args: [String]) {
        self.id = id
        self.rootfs = rootfs
        self.args = args
    }

    /// Docker's default capability set.
    public static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// Every capability this kernel knows (capabilities(7)), in number order.
    public static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    static func normalize(_ name: String) throws(BerthError) -> String {
        let up = name.uppercased()
        if up == "ALL" { return up }
        let full = up.hasPrefix("CAP_") ? up : "CAP_" + up
        guard allCapabilities.contains(full) else {
            throw .invalid("unknown capability \"\(name)\": see capabilities(7) for the names (NET_ADMIN, SYS_TIME…)")
        }
        return full
    }

    /// The capability set after `--cap-add`/`--cap-drop` (Docker's order: add, then drop; ALL allowed).
    public static func validateCapabilities(add: [String], drop: [String]) throws(BerthError) -> [String] {
        let adds = try add.map { a throws(BerthError) in try normalize(a) }
        let drops = try drop.map { d throws(BerthError) in try normalize(d) }
        var caps = adds.contains("ALL") ? allCapabilities : defaultCapabilities
        for a in adds where a != "ALL" && !caps.contains(a) { caps.append(a) }
        if drops.contains("ALL") {
            caps = adds.filter { $0 != "ALL" }
        } else {
            caps.removeAll { drops.contains($0) && !adds.contains($0) }
        }
        return caps
    }
}

/// Builds the OCI runtime spec of a container, with Docker's defaults (mounts, masked paths,
/// capabilities, devices) and berth's rule on rlimits: never above the current hard limit.
public enum SpecBuilder {
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    public static let readonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ]

    public static func build(_ c: ContainerRuntimeConfig) throws -> OCISpec {
        let caps = c.privileged
            ? ContainerRuntimeConfig.allCapabilities : try ContainerRuntimeConfig.validateCapabilities(add: c.capAdd, drop: c.capDrop)
        let ids = try UserResolver.resolve(c.user, rootfs: c.rootfs)
        var env = c.env
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(defaultPath, at: 0) }
        if !env.contains(where: { $0.hasPrefix("HOSTNAME=") }) && !c.hostname.isEmpty { env.append("HOSTNAME=\(c.hostname)") }
        if c.terminal && !env.contains(where: { $0.hasPrefix("TERM=") }) { env.append("TERM=xterm") }
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=\(ids.home)") }
        let nofile = min(1_048_576, Processes.openFilesHardLimit())
        let process = OCIProcess(
            terminal: c.terminal, user: OCIUser(uid: ids.uid, gid: ids.gid, additionalGids: ids.additionalGids.isEmpty ? nil : ids.additionalGids),
            args: c.args, env: env, cwd: c.cwd.isEmpty ? "/" : c.cwd,
            capabilities: OCICapabilities(bounding: caps, effective: caps, permitted: caps, inheritable: nil, ambient: nil),
            rlimits: [OCIRlimit(type: "RLIMIT_NOFILE", hard: nofile, soft: nofile)], noNewPrivileges: !c.privileged,
            oomScoreAdj: nil)
        var mounts = [
            OCIMount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            OCIMount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            OCIMount(destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            OCIMount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", c.privileged ? "rw" : "ro"]),
            OCIMount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", c.privileged ? "rw" : "ro"]),
            OCIMount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            OCIMount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        ]
        for b in c.binds {
            mounts.append(OCIMount(destination: b.destination, type: "bind", source: b.source, options: ["rbind", "rprivate", b.readOnly ? "ro" : "rw"]))
        }
        var namespaces = [OCINamespace(type: "mount", path: nil), OCINamespace(type: "cgroup", path: nil)]
        for (kind, mode) in [("network", c.network), ("pid", c.pid), ("ipc", c.ipc), ("uts", c.uts)] {
            switch mode {
            case .private: namespaces.append(OCINamespace(type: kind, path: nil))
            case .host: break
            case .path(let p): namespaces.append(OCINamespace(type: kind, path: p))
            }
        }
        var resources = OCIResources(devices: [OCIDeviceRule(allow: c.privileged, access: "rwm")], memory: nil, cpu: nil, pids: nil)
        if !c.privileged {
            // Docker's default device allow-list: null, zero, full, random, urandom, tty, console, ptmx, pts.
            for (major, minor) in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2)] {
                resources.devices.append(OCIDeviceRule(allow: true, access: "rwm", type: "c", major: Int64(major), minor: Int64(minor)))
            }
            resources.devices.append(OCIDeviceRule(allow: true, access: "rwm", type: "c", major: 136, minor: nil))
        }
        if let m = c.memoryBytes { resources.memory = OCIMemory(limit: m, swap: nil) }
        if let n = c.nanoCPUs { resources.cpu = OCICPU(quota: n * 100_000 / 1_000_000_000, period: 100_000, shares: nil) }
        if let p = c.pidsLimit { resources.pids = OCIPids(limit: p) }
        let linux = OCILinux(
            namespaces: namespaces, resources: resources, cgroupsPath: c.cgroupsPath,
            maskedPaths: c.privileged ? nil : maskedPaths, readonlyPaths: c.privileged ? nil : readonlyPaths,
            sysctl: c.sysctls.isEmpty ? nil : c.sysctls)
        return OCISpec(
            process: process, root: OCIRoot(path: c.rootfs, readonly: false),
            hostname: c.uts == .private ? c.hostname : nil, domainname: c.uts == .private && !c.domainname.isEmpty ? c.domainname : nil,
            mounts: mounts, linux: linux)
    }
}
