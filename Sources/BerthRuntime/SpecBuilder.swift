import BerthCore
import BerthSystem

/// Builds a container's OCI `config.json` from berth's decisions, with Docker's defaults
/// (moby `oci/defaults.go` and `daemon/oci_linux.go`): mounts, masked paths, capabilities, devices.
public enum SpecBuilder {
    /// Docker's default PATH for containers whose image sets none.
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Files and directories of /proc and /sys hidden from unprivileged containers (bind of /dev/null
    /// or an empty tmpfs): they leak host details or allow attacks.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// Parts of /proc made read-only for unprivileged containers.
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The highest RLIMIT_NOFILE berth asks for (Docker's daemon default), capped by berth's own hard limit.
    public static let maximumOpenFiles: UInt64 = 1_048_576

    /// CFS period berth uses for `--cpus` (Docker's 100 ms).
    public static let cpuPeriod: UInt64 = 100_000

    /// Builds the spec. `rootfsUsers` resolves `c.user`; when nil it is read from `c.rootfs`.
    /// `openFilesHardLimit` caps RLIMIT_NOFILE; when nil it is berth's own current hard limit
    /// (raising a hard limit would need CAP_SYS_RESOURCE).
    public static func build(
        _ c: ContainerRuntimeConfig, rootfsUsers: UserResolver? = nil, openFilesHardLimit: UInt64? = nil
    ) throws -> OCISpec {
        guard !c.args.isEmpty else {
            throw BerthError.invalid("container \(c.id) has no command: give one or use an image with a CMD")
        }
        guard c.rootfs.hasPrefix("/") else {
            throw BerthError.invalid("the root filesystem path \"\(c.rootfs)\" must be absolute")
        }
        let users = rootfsUsers ?? UserResolver(rootfs: c.rootfs)
        let user = try users.resolve(c.user)
        let caps = try Capabilities.effective(add: c.capAdd, drop: c.capDrop, privileged: c.privileged)
        let hard: UInt64
        if let openFilesHardLimit {
            hard = openFilesHardLimit
        } else {
            do {
                hard = try ResourceLimits.openFiles().hard
            } catch {
                throw BerthError(.system, "cannot read berth's limit on open files", cause: error)
            }
        }
        let nofile = min(maximumOpenFiles, hard)

        let process = OCISpec.Process(
            terminal: c.terminal,
            user: OCISpec.User(uid: user.uid, gid: user.gid, additionalGids: user.additionalGids),
            args: c.args, env: environment(c, home: user.home), cwd: c.cwd.isEmpty ? "/" : c.cwd,
            capabilities: OCISpec.Capabilities(bounding: caps, effective: caps, permitted: caps),
            rlimits: [OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: nofile, soft: nofile)],
            noNewPrivileges: false)

        try validateSysctls(c)
        let privateUTS = c.uts == .private
        let linux = OCISpec.Linux(
            namespaces: namespaces(c), resources: try resources(c), cgroupsPath: c.cgroupsPath,
            maskedPaths: c.privileged ? [] : maskedPaths, readonlyPaths: c.privileged ? [] : readonlyPaths,
            sysctl: c.sysctls.isEmpty ? nil : c.sysctls)
        return OCISpec(
            process: process, root: OCISpec.Root(path: c.rootfs, readonly: false),
            hostname: privateUTS && !c.hostname.isEmpty ? c.hostname : nil,
            domainname: privateUTS && !c.domainname.isEmpty ? c.domainname : nil,
            mounts: mounts(c), linux: linux)
    }

    /// The process environment: the user's entries plus PATH, HOSTNAME, HOME and (with a terminal)
    /// TERM=xterm when the user did not set them, as Docker does.
    static func environment(_ c: ContainerRuntimeConfig, home: String?) -> [String] {
        var env = c.env
        func has(_ key: String) -> Bool { env.contains { $0 == key || $0.hasPrefix(key + "=") } }
        if !has("PATH") { env.insert(defaultPath, at: 0) }
        if !has("HOSTNAME") && !c.hostname.isEmpty { env.append("HOSTNAME=\(c.hostname)") }
        if c.terminal && !has("TERM") { env.append("TERM=xterm") }
        if !has("HOME") { env.append("HOME=\(home.flatMap { $0.isEmpty ? nil : $0 } ?? "/")") }
        return env
    }

    /// Mount, network (unless host), PID, IPC, UTS per mode, and a private cgroup namespace (N1); user
    /// and time namespaces stay the host's.
    static func namespaces(_ c: ContainerRuntimeConfig) -> [OCISpec.Namespace] {
        var list = [OCISpec.Namespace(type: "mount")]
        for (type, mode) in [("network", c.network), ("pid", c.pid), ("ipc", c.ipc), ("uts", c.uts)] {
            switch mode {
            case .private: list.append(OCISpec.Namespace(type: type))
            case .host: break
            case .path(let path): list.append(OCISpec.Namespace(type: type, path: path))
            }
        }
        list.append(OCISpec.Namespace(type: "cgroup"))
        return list
    }

    /// Docker's default mounts, adjusted for `--privileged` and host IPC, then the container's binds.
    static func mounts(_ c: ContainerRuntimeConfig) -> [OCISpec.Mount] {
        let sysOptions = ["nosuid", "noexec", "nodev", c.privileged ? "rw" : "ro"]
        let cgroupOptions = ["nosuid", "noexec", "nodev", c.privileged ? "rw" : "ro"]
        var list: [OCISpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(
                destination: "/dev", type: "tmpfs", source: "tmpfs",
                options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(
                destination: "/dev/pts", type: "devpts", source: "devpts",
                options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: sysOptions),
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: cgroupOptions),
        ]
        if c.ipc == .host {
            // The host's IPC namespace: its message queues and shared memory, as `--ipc host` does in Docker.
            list.append(.init(destination: "/dev/mqueue", type: "bind", source: "/dev/mqueue", options: ["rbind"]))
            list.append(.init(destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind"]))
        } else {
            list.append(
                .init(
                    destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
                    options: ["nosuid", "noexec", "nodev"]))
            list.append(
                .init(
                    destination: "/dev/shm", type: "tmpfs", source: "shm",
                    options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]))
        }
        for bind in c.binds {
            list.append(
                .init(
                    destination: bind.destination, type: "bind", source: bind.source,
                    options: ["rbind", "rprivate", bind.readOnly ? "ro" : "rw"]))
        }
        return list
    }

    /// Device rules: everything for `--privileged`; otherwise deny all, then the devices every
    /// container needs (runc's and Docker's default allow list).
    static func devices(privileged: Bool) -> [OCISpec.DeviceRule] {
        if privileged { return [OCISpec.DeviceRule(allow: true, access: "rwm")] }
        return [
            .init(allow: false, access: "rwm"),
            .init(allow: true, access: "m", type: "c"),  // mknod of any char device (c *:* m)
            .init(allow: true, access: "m", type: "b"),  // mknod of any block device (b *:* m)
            .init(allow: true, access: "rwm", type: "c", major: 1, minor: 3),  // /dev/null
            .init(allow: true, access: "rwm", type: "c", major: 1, minor: 5),  // /dev/zero
            .init(allow: true, access: "rwm", type: "c", major: 1, minor: 7),  // /dev/full
            .init(allow: true, access: "rwm", type: "c", major: 1, minor: 8),  // /dev/random
            .init(allow: true, access: "rwm", type: "c", major: 1, minor: 9),  // /dev/urandom
            .init(allow: true, access: "rwm", type: "c", major: 5, minor: 0),  // /dev/tty
            .init(allow: true, access: "rwm", type: "c", major: 5, minor: 2),  // /dev/ptmx
            .init(allow: true, access: "rwm", type: "c", major: 136),  // /dev/pts/*
            .init(allow: true, access: "rwm", type: "c", major: 10, minor: 200),  // /dev/net/tun
        ]
    }

    /// Memory, CPU and pids limits; each is left out when not asked for.
    static func resources(_ c: ContainerRuntimeConfig) throws -> OCISpec.Resources {
        var r = OCISpec.Resources(devices: devices(privileged: c.privileged))
        if let memory = c.memoryBytes {
            // The kernel's floor is a few pages; Docker refuses below 6 MB.
            guard memory >= 6 * 1024 * 1024 else {
                throw BerthError.invalid("minimum memory limit allowed is 6MB: give --memory 6m or more")
            }
            r.memory = OCISpec.Memory(limit: memory)
        }
        if let nano = c.nanoCPUs {
            guard nano > 0 else { throw BerthError.invalid("--cpus must be greater than 0") }
            // quota/period = nanoCPUs/1e9 CPUs; e.g. 1.5 CPUs = 150 ms of CPU time per 100 ms.
            let quota = nano * Int64(cpuPeriod) / 1_000_000_000
            guard quota >= 1000 else { throw BerthError.invalid("--cpus must be at least 0.01") }
            r.cpu = OCISpec.CPU(quota: quota, period: cpuPeriod)
        }
        if let pids = c.pidsLimit, pids != 0 {
            // Docker: 0 means unset, a negative value means unlimited.
            r.pids = OCISpec.Pids(limit: pids < 0 ? -1 : pids)
        }
        return r
    }

    /// Namespaced sysctls only, and only where the container has that namespace of its own
    /// (setting `net.*` with `--network host` would change the host).
    static func validateSysctls(_ c: ContainerRuntimeConfig) throws {
        let ipcKeys: Set<String> = [
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced",
        ]
        for key in c.sysctls.keys.sorted() {
            if key.hasPrefix("net.") {
                if c.network == .host {
                    throw BerthError.invalid("sysctl \"\(key)\" is not allowed in the host network namespace")
                }
            } else if ipcKeys.contains(key) || key.hasPrefix("fs.mqueue.") {
                if c.ipc == .host {
                    throw BerthError.invalid("sysctl \"\(key)\" is not allowed with the host IPC namespace")
                }
            } else if key == "kernel.domainname" || key == "kernel.hostname" {
                if c.uts == .host {
                    throw BerthError.invalid("sysctl \"\(key)\" is not allowed with the host UTS namespace")
                }
            } else {
                throw BerthError.invalid(
                    "sysctl \"\(key)\" is not namespaced and would change the host: only net.*, fs.mqueue.* and "
                        + "IPC kernel.* sysctls are allowed")
            }
        }
    }
}
