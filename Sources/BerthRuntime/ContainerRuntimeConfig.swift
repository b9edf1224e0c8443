/// How a container gets one kind of namespace (Docker's `--pid`, `--ipc`, `--uts`, `--network`).
public enum NamespaceMode: Sendable, Equatable {
    /// A new namespace of its own.
    case `private`
    /// The host's namespace: none is created or joined.
    case host
    /// Join an existing namespace: `/proc/<pid>/ns/<kind>` of another container (`container:X`)
    /// or a bind-mounted network namespace such as `$BERTH_RUN/netns/<id>`.
    case path(String)
}

/// A bind mount into the container, e.g. the container's own hosts, hostname and resolv.conf files.
public struct BindMount: Sendable, Equatable {
    /// Host path.
    public var source: String
    /// Path inside the container.
    public var destination: String
    /// Mounted read-only (`:ro`).
    public var readOnly: Bool

    public init(source: String, destination: String, readOnly: Bool = false) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }
}

/// Everything berth decides about a container that ends up in its OCI `config.json`.
public struct ContainerRuntimeConfig: Sendable, Equatable {
    /// The container's id; also the runtime's container id.
    public var id: String
    /// Absolute path of the root filesystem.
    public var rootfs: String
    /// The command: entrypoint plus cmd, already merged.
    public var args: [String]
    /// `KEY=value` entries; PATH, HOSTNAME, HOME (and TERM with a terminal) are added when absent.
    public var env: [String]
    /// Working directory inside the container (`-w`); "/" by default.
    public var cwd: String
    /// Docker's `-u`: "", "uid", "uid:gid", "name", "name:group" (resolved in the rootfs's /etc files).
    public var user: String
    /// `-t`: the process gets a pseudo-terminal.
    public var terminal: Bool
    /// `--hostname`; set only with a private UTS namespace.
    public var hostname: String
    /// `--domainname`; set only with a private UTS namespace.
    public var domainname: String
    /// `.path(netns)` normally; `.host` for `--network host`.
    public var network: NamespaceMode
    /// `--pid`: `container:X` is `.path("/proc/<X pid>/ns/pid")`.
    public var pid: NamespaceMode
    /// `--ipc`: `container:X` is `.path("/proc/<X pid>/ns/ipc")`.
    public var ipc: NamespaceMode
    /// `--uts`: `host` or private.
    public var uts: NamespaceMode
    /// `--cap-add` / `--cap-drop`: "NET_ADMIN", "CAP_NET_ADMIN" (any case) or "ALL".
    public var capAdd: [String]
    public var capDrop: [String]
    /// `--privileged`: every capability, every device, no masked or read-only paths, rw sysfs.
    public var privileged: Bool
    /// `-m`: the memory limit in bytes (50m = 52428800).
    public var memoryBytes: Int64?
    /// `--cpus` in billionths of a CPU (Docker's NanoCpus): 1.5 CPUs = 1_500_000_000.
    public var nanoCPUs: Int64?
    /// `--pids-limit`: 0 means unset, negative means unlimited.
    public var pidsLimit: Int64?
    /// The cgroup the runtime creates, e.g. "/berth/<id>".
    public var cgroupsPath: String
    /// Bind mounts added after the default mounts (hosts, hostname, resolv.conf, volumes).
    public var binds: [BindMount]
    /// `--sysctl`: namespaced keys only (net.*, IPC kernel.*, fs.mqueue.*).
    public var sysctls: [String: String]

    public init(
        id: String, rootfs: String, args: [String], env: [String] = [], cwd: String = "/", user: String = "",
        terminal: Bool = false, hostname: String = "", domainname: String = "", network: NamespaceMode = .private,
        pid: NamespaceMode = .private, ipc: NamespaceMode = .private, uts: NamespaceMode = .private,
        capAdd: [String] = [], capDrop: [String] = [], privileged: Bool = false, memoryBytes: Int64? = nil,
        nanoCPUs: Int64? = nil, pidsLimit: Int64? = nil, cgroupsPath: String? = nil, binds: [BindMount] = [],
        sysctls: [String: String] = [:]
    ) {
        self.id = id
        self.rootfs = rootfs
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.terminal = terminal
        self.hostname = hostname
        self.domainname = domainname
        self.network = network
        self.pid = pid
        self.ipc = ipc
        self.uts = uts
        self.capAdd = capAdd
        self.capDrop = capDrop
        self.privileged = privileged
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.pidsLimit = pidsLimit
        self.cgroupsPath = cgroupsPath ?? "/berth/\(id)"
        self.binds = binds
        self.sysctls = sysctls
    }
}
