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
    public var source: String
    public var destination: String
    public var readOnly: Bool

    public init(source: String, destination: String, readOnly: Bool = false) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }
}

/// Everything berth decides about a container that ends up in its OCI `config.json`.
public struct ContainerRuntimeConfig: Sendable, Equatable {
    public var id: String
    /// Absolute path of the root filesystem.
    public var rootfs: String
    public var args: [String]
    /// `KEY=value` entries; PATH, HOSTNAME, HOME (and TERM with a terminal) are added when absent.
    public var env: [String]
    public var cwd: String
    /// Docker's `-u`: "", "uid", "uid:gid", "name", "name:group" (resolved in the rootfs's /etc files).
    public var user: String
    public var terminal: Bool
    public var hostname: String
    public var domainname: String
    /// `.path(netns)` normally; `.host` for `--network host`.
    public var network: NamespaceMode
    public var pid: NamespaceMode
    public var ipc: NamespaceMode
    public var uts: NamespaceMode
    /// `--cap-add` / `--cap-drop`: "NET_ADMIN", "CAP_NET_ADMIN" (any case) or "ALL".
    public var capAdd: [String]
    public var capDrop: [String]
    public var privileged: Bool
    public var memoryBytes: Int64?
    /// `--cpus` in billionths of a CPU (Docker's NanoCpus): 1.5 CPUs = 1_500_000_000.
    public var nanoCPUs: Int64?
    public var pidsLimit: Int64?
    /// The cgroup the runtime creates, e.g. "/berth/<id>".
    public var cgroupsPath: String
    public var binds: [BindMount]
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
