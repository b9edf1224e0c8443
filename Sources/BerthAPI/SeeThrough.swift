/// berth's own "see-through" endpoints (not Docker's): `GET /berth/topology`, `GET /berth/ns` and
/// `GET /berth/containers/{id}/debug-info`. Every value is read from the live kernel when the request
/// is served (netlink dumps in each namespace, the nftables maps, /proc); berth's records only name things.
///
/// Field names are PascalCase like Docker's own JSON. The `--format json` output of `berth topology`
/// and `berth ns` is exactly these documents.
public protocol SeeThroughService: Sendable {
    /// The network picture; `network` (name or id) keeps only that network's bridge and containers.
    func topology(network: String?) async throws -> TopologyReport
    /// Namespace inodes of the given containers (every running one when empty) next to the reference's.
    func namespaces(_ refs: [String]) async throws -> NamespaceReport
    /// What `berth debug` needs to enter a running container's namespaces from the host.
    func debugInfo(_ ref: String) async throws -> DebugInfo
    /// A container's network as the kernel has it now (`berth inspect`'s live view).
    func liveView(_ ref: String) async throws -> ContainerLiveView
}

// MARK: topology

/// `berth topology --format json`.
public struct TopologyReport: Codable, Sendable, Equatable {
    /// The namespace berthd treats as the host (where bridges and host veth ends live).
    public var Host: TopologyNamespace
    /// The host's other interfaces (uplinks, loopback): not a berth bridge and not a port of one.
    public var Uplinks: [TopologyInterface]
    /// One per berth bridge network (the `host` and `none` networks have no bridge).
    public var Bridges: [TopologyBridge]
    /// Running containers (stopped ones have no namespace to show).
    public var Containers: [TopologyContainer]
    /// Things that were expected but not found in the kernel (a recorded bridge that is gone…).
    public var Warnings: [String]

    public init(
        Host: TopologyNamespace, Uplinks: [TopologyInterface], Bridges: [TopologyBridge],
        Containers: [TopologyContainer], Warnings: [String]
    ) {
        self.Host = Host
        self.Uplinks = Uplinks
        self.Bridges = Bridges
        self.Containers = Containers
        self.Warnings = Warnings
    }
}

/// A network namespace: the path that pins it and its inode (`net:[N]`).
public struct TopologyNamespace: Codable, Sendable, Equatable {
    public var Path: String
    public var Inode: UInt64

    public init(Path: String, Inode: UInt64) {
        self.Path = Path
        self.Inode = Inode
    }
}

/// One interface as `ip -d addr show` describes it.
public struct TopologyInterface: Codable, Sendable, Equatable {
    public var Name: String
    public var Index: Int
    /// The driver (`bridge`, `veth`…); nil for physical devices and `lo`.
    public var Kind: String?
    /// RFC 2863 operational state as `ip link` prints it: `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`…
    public var OperState: String
    /// Administratively up (IFF_UP).
    public var Up: Bool
    /// Has carrier (IFF_LOWER_UP); up without it is what `ip link` prints as NO-CARRIER.
    public var Carrier: Bool
    public var MTU: Int
    public var MAC: String?
    /// `address/prefix`, IPv4 then IPv6, in the kernel's order.
    public var Addresses: [String]
    /// For a veth: its peer's ifindex (in the other namespace), the N of `name@ifN`.
    public var PeerIndex: Int?
    /// For a bridge port: the bridge's name.
    public var Master: String?
    /// For a host interface that carries the host's default route: that route's gateway
    /// (`default via G dev NAME`; "" for a route without a gateway).
    public var DefaultGateway: String?

    public init(
        Name: String, Index: Int, Kind: String? = nil, OperState: String, Up: Bool, Carrier: Bool = true, MTU: Int,
        MAC: String? = nil, Addresses: [String] = [], PeerIndex: Int? = nil, Master: String? = nil,
        DefaultGateway: String? = nil
    ) {
        self.Name = Name
        self.Index = Index
        self.Kind = Kind
        self.OperState = OperState
        self.Up = Up
        self.Carrier = Carrier
        self.MTU = MTU
        self.MAC = MAC
        self.Addresses = Addresses
        self.PeerIndex = PeerIndex
        self.Master = Master
        self.DefaultGateway = DefaultGateway
    }
}

/// A berth network's Linux bridge and the veth pairs plugged into it.
public struct TopologyBridge: Codable, Sendable, Equatable {
    public var Network: String
    public var NetworkID: String
    public var Internal: Bool
    /// The bridge interface itself (its addresses are the gateway's).
    public var Interface: TopologyInterface
    public var Veths: [TopologyVeth]

    public init(Network: String, NetworkID: String, Internal: Bool, Interface: TopologyInterface, Veths: [TopologyVeth])
    {
        self.Network = Network
        self.NetworkID = NetworkID
        self.Internal = Internal
        self.Interface = Interface
        self.Veths = Veths
    }
}

/// One veth pair: the host end on a bridge ↔ the end inside a container's namespace.
public struct TopologyVeth: Codable, Sendable, Equatable {
    public var HostName: String
    public var HostIndex: Int
    /// The peer's ifindex as the host end reports it (IFLA_LINK).
    public var PeerIndex: Int?
    /// The container whose namespace holds the peer, when one of them does.
    public var Container: String?
    /// The peer's name inside that namespace (`eth0`), when found.
    public var ContainerInterface: String?

    public init(HostName: String, HostIndex: Int, PeerIndex: Int?, Container: String?, ContainerInterface: String?) {
        self.HostName = HostName
        self.HostIndex = HostIndex
        self.PeerIndex = PeerIndex
        self.Container = Container
        self.ContainerInterface = ContainerInterface
    }
}

/// A running container and the network namespace it uses.
public struct TopologyContainer: Codable, Sendable, Equatable {
    public var ID: String
    public var Name: String
    /// Docker's NetworkMode: `bridge`, a network name, `host`, `none`, `container:<name or id>`.
    public var NetworkMode: String
    public var Pid: Int
    /// The namespace the container's process is in (`/proc/PID/ns/net`) and its inode.
    public var Namespace: TopologyNamespace
    /// `host` when the container uses the host's namespace, the other container's name for
    /// `container:X`, nil when it has its own.
    public var SharesNamespaceWith: String?
    /// Interfaces inside its namespace; empty when it shares the host's or another container's
    /// (they are listed there).
    public var Interfaces: [TopologyInterface]
    /// Ports published to it, read from berth's nftables maps.
    public var Ports: [TopologyPort]

    public init(
        ID: String, Name: String, NetworkMode: String, Pid: Int, Namespace: TopologyNamespace,
        SharesNamespaceWith: String?, Interfaces: [TopologyInterface], Ports: [TopologyPort]
    ) {
        self.ID = ID
        self.Name = Name
        self.NetworkMode = NetworkMode
        self.Pid = Pid
        self.Namespace = Namespace
        self.SharesNamespaceWith = SharesNamespaceWith
        self.Interfaces = Interfaces
        self.Ports = Ports
    }
}

/// One published port as the kernel's DNAT map holds it.
public struct TopologyPort: Codable, Sendable, Equatable, Hashable {
    /// `tcp` or `udp`.
    public var Proto: String
    /// "" = every host address.
    public var HostIP: String
    public var HostPort: Int
    public var ContainerIP: String
    public var ContainerPort: Int

    public init(Proto: String, HostIP: String, HostPort: Int, ContainerIP: String, ContainerPort: Int) {
        self.Proto = Proto
        self.HostIP = HostIP
        self.HostPort = HostPort
        self.ContainerIP = ContainerIP
        self.ContainerPort = ContainerPort
    }
}

// MARK: namespaces

/// `berth ns --format json`.
public struct NamespaceReport: Codable, Sendable, Equatable {
    /// The namespace types compared, in order.
    public static let types = ["cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "user", "uts"]

    /// The process the containers are compared with.
    public var Reference: NamespaceReference
    public var Containers: [ContainerNamespaces]
    /// Every namespace held by more than one of the listed processes (reference included).
    public var Shared: [SharedNamespace]

    public init(Reference: NamespaceReference, Containers: [ContainerNamespaces], Shared: [SharedNamespace]) {
        self.Reference = Reference
        self.Containers = Containers
        self.Shared = Shared
    }
}

/// The reference column: PID 1 when its namespaces can be read, else berthd itself.
public struct NamespaceReference: Codable, Sendable, Equatable {
    /// `pid1` or `berthd`.
    public var Kind: String
    public var Pid: Int
    /// Why this reference was chosen, in one sentence.
    public var Reason: String
    /// Inode per type; a type the kernel does not have (old kernels lack `time`) is absent.
    public var Namespaces: [String: UInt64]

    public init(Kind: String, Pid: Int, Reason: String, Namespaces: [String: UInt64]) {
        self.Kind = Kind
        self.Pid = Pid
        self.Reason = Reason
        self.Namespaces = Namespaces
    }
}

/// One container's namespaces and cgroup.
public struct ContainerNamespaces: Codable, Sendable, Equatable {
    public var ID: String
    public var Name: String
    public var Pid: Int
    public var Namespaces: [String: UInt64]
    /// Types whose inode equals the reference's.
    public var SharedWithReference: [String]
    /// The process's cgroup path (the memory controller's on cgroup v1, else the unified one).
    public var Cgroup: String
    /// Bytes; nil = no limit.
    public var MemoryLimit: Int64?
    /// Bytes currently charged to the cgroup.
    public var MemoryUsage: Int64?

    public init(
        ID: String, Name: String, Pid: Int, Namespaces: [String: UInt64], SharedWithReference: [String],
        Cgroup: String, MemoryLimit: Int64?, MemoryUsage: Int64?
    ) {
        self.ID = ID
        self.Name = Name
        self.Pid = Pid
        self.Namespaces = Namespaces
        self.SharedWithReference = SharedWithReference
        self.Cgroup = Cgroup
        self.MemoryLimit = MemoryLimit
        self.MemoryUsage = MemoryUsage
    }
}

/// One namespace that several processes are in.
public struct SharedNamespace: Codable, Sendable, Equatable {
    public var `Type`: String
    public var Inode: UInt64
    /// Whether the reference process is in it too.
    public var Reference: Bool
    /// Container names, sorted.
    public var Containers: [String]

    public init(Type: String, Inode: UInt64, Reference: Bool, Containers: [String]) {
        self.Type = Type
        self.Inode = Inode
        self.Reference = Reference
        self.Containers = Containers
    }
}

extension NamespaceReport {
    /// Groups processes by namespace: every (type, inode) held by two or more of them.
    public static func shared(reference: [String: UInt64], containers: [ContainerNamespaces]) -> [SharedNamespace] {
        var out: [SharedNamespace] = []
        for type in types {
            var byInode: [UInt64: [String]] = [:]
            for c in containers { if let i = c.Namespaces[type] { byInode[i, default: []].append(c.Name) } }
            for (inode, names) in byInode.sorted(by: { $0.key < $1.key }) {
                let withRef = reference[type] == inode
                if names.count + (withRef ? 1 : 0) >= 2 {
                    out.append(
                        SharedNamespace(Type: type, Inode: inode, Reference: withRef, Containers: names.sorted()))
                }
            }
        }
        return out
    }
}

// MARK: debug

/// `GET /berth/containers/{id}/debug-info`: paths `berth debug` enters or bind-mounts.
public struct DebugInfo: Codable, Sendable, Equatable {
    public var ID: String
    public var Name: String
    public var Pid: Int
    /// The network namespace to enter: the SandboxKey, or `/proc/PID/ns/net` for host and
    /// `container:` modes.
    public var NetworkNamespace: String
    /// `/proc/PID/ns/pid`.
    public var PidNamespace: String
    /// The container's own /etc/resolv.conf and /etc/hosts (files under its directory); "" when absent.
    public var ResolvConf: String
    public var Hosts: String

    public init(
        ID: String, Name: String, Pid: Int, NetworkNamespace: String, PidNamespace: String, ResolvConf: String,
        Hosts: String
    ) {
        self.ID = ID
        self.Name = Name
        self.Pid = Pid
        self.NetworkNamespace = NetworkNamespace
        self.PidNamespace = PidNamespace
        self.ResolvConf = ResolvConf
        self.Hosts = Hosts
    }
}

/// `berth inspect`'s live view of a container's network (`GET /berth/containers/{id}/live`), read
/// from the kernel now: where its namespace is, each interface with the host end of its veth, its
/// published ports as the DNAT maps hold them, and the embedded resolver's sockets in it.
public struct ContainerLiveView: Codable, Sendable, Equatable {
    public var Running: Bool
    /// The pin (SandboxKey) and the inode of the namespace the container's process is in.
    public var Namespace: TopologyNamespace?
    public var SharesNamespaceWith: String?
    public var Interfaces: [LiveInterface]
    public var Ports: [TopologyPort]
    /// `udp 127.0.0.11:PORT` and `tcp 127.0.0.11:PORT` inside its namespace (user-defined networks).
    public var DNSSockets: [String]

    public init(
        Running: Bool, Namespace: TopologyNamespace?, SharesNamespaceWith: String?, Interfaces: [LiveInterface],
        Ports: [TopologyPort], DNSSockets: [String]
    ) {
        self.Running = Running
        self.Namespace = Namespace
        self.SharesNamespaceWith = SharesNamespaceWith
        self.Interfaces = Interfaces
        self.Ports = Ports
        self.DNSSockets = DNSSockets
    }
}

/// One interface in the container with the host end of its veth (`eth0@if14` ↔ `veth1a2b3c4` index 14).
public struct LiveInterface: Codable, Sendable, Equatable {
    public var Name: String
    public var Index: Int
    /// The host end's ifindex (the N of `eth0@ifN`).
    public var PeerIndex: Int?
    public var HostVeth: String?
    public var Bridge: String?
    public var Addresses: [String]
    public var OperState: String

    public init(Name: String, Index: Int, PeerIndex: Int?, HostVeth: String?, Bridge: String?, Addresses: [String], OperState: String) {
        self.Name = Name
        self.Index = Index
        self.PeerIndex = PeerIndex
        self.HostVeth = HostVeth
        self.Bridge = Bridge
        self.Addresses = Addresses
        self.OperState = OperState
    }
}
