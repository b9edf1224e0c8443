import BerthCore

// Docker Engine API models for containers, exec and images.
//
// Properties carry Docker's JSON names verbatim (PascalCase, `IPAddress`, `NanoCpus`…), so the
// synthesized Codable conformance *is* Docker's wire format — no key tables to drift out of date.
// Request types make every field optional: the docker CLI and SDKs send some fields, omit others,
// and send `null` for many; all of those must decode.

/// `Config` of a container (and of an image): what runs, as the user asked for it.
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var Hostname: String?
    public var Domainname: String?
    public var User: String?
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var ExposedPorts: [String: EmptyObject]?
    public var Tty: Bool?
    public var OpenStdin: Bool?
    public var StdinOnce: Bool?
    public var Env: [String]?
    public var Cmd: StringOrList?
    public var Entrypoint: StringOrList?
    public var Image: String?
    public var Labels: [String: String]?
    public var WorkingDir: String?
    public var StopSignal: String?
    public var StopTimeout: Int?
    public var MacAddress: String?
    public var NetworkDisabled: Bool?

    public init() {}
}

/// `{}` in Docker's JSON (the values of `ExposedPorts`).
public struct EmptyObject: Codable, Sendable, Equatable, Hashable {
    public init() {}
}

/// `Cmd`/`Entrypoint`: Docker accepts a list, a single string, or null.
public struct StringOrList: Codable, Sendable, Equatable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            values = [s]
        } else {
            values = try c.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }
}

public struct PortBindingJSON: Codable, Sendable, Equatable, Hashable {
    public var HostIp: String?
    public var HostPort: String?

    public init(HostIp: String? = nil, HostPort: String? = nil) {
        self.HostIp = HostIp
        self.HostPort = HostPort
    }
}

public struct RestartPolicy: Codable, Sendable, Equatable {
    public var Name: String?
    public var MaximumRetryCount: Int?

    public init(Name: String? = nil, MaximumRetryCount: Int? = nil) {
        self.Name = Name
        self.MaximumRetryCount = MaximumRetryCount
    }
}

public struct LogConfig: Codable, Sendable, Equatable {
    public var `Type`: String?
    public var Config: [String: String]?

    public init(Type: String? = "json-file", Config: [String: String]? = [:]) {
        self.Type = Type
        self.Config = Config
    }
}

/// `HostConfig`: how the container is run on this host.
public struct HostConfig: Codable, Sendable, Equatable {
    public var Binds: [String]?
    public var NetworkMode: String?
    public var PortBindings: [String: [PortBindingJSON]?]?
    public var RestartPolicy: RestartPolicy?
    public var AutoRemove: Bool?
    public var CapAdd: [String]?
    public var CapDrop: [String]?
    public var Dns: [String]?
    public var DnsOptions: [String]?
    public var DnsSearch: [String]?
    public var ExtraHosts: [String]?
    public var IpcMode: String?
    public var PidMode: String?
    public var UTSMode: String?
    public var Privileged: Bool?
    public var PublishAllPorts: Bool?
    public var ReadonlyRootfs: Bool?
    public var Runtime: String?
    public var Memory: Int64?
    public var MemorySwap: Int64?
    public var NanoCpus: Int64?
    public var CpuQuota: Int64?
    public var CpuPeriod: Int64?
    public var CpuShares: Int64?
    public var PidsLimit: Int64?
    public var Init: Bool?
    public var Sysctls: [String: String]?
    public var LogConfig: LogConfig?

    public init() {}
}

/// `IPAMConfig` of an endpoint (a fixed address).
public struct EndpointIPAMConfig: Codable, Sendable, Equatable {
    public var IPv4Address: String?
    public var IPv6Address: String?

    public init(IPv4Address: String? = nil, IPv6Address: String? = nil) {
        self.IPv4Address = IPv4Address
        self.IPv6Address = IPv6Address
    }
}

/// One network of a container: what was asked (`Aliases`, `IPAMConfig`, `MacAddress`) and, in
/// inspect, what it got.
public struct EndpointSettings: Codable, Sendable, Equatable {
    public var IPAMConfig: EndpointIPAMConfig?
    public var Links: [String]?
    public var Aliases: [String]?
    public var MacAddress: String?
    public var DriverOpts: [String: String]?
    public var NetworkID: String?
    public var EndpointID: String?
    public var Gateway: String?
    public var IPAddress: String?
    public var IPPrefixLen: Int?
    public var IPv6Gateway: String?
    public var GlobalIPv6Address: String?
    public var GlobalIPv6PrefixLen: Int?
    public var DNSNames: [String]?

    public init() {}
}

public struct NetworkingConfig: Codable, Sendable, Equatable {
    public var EndpointsConfig: [String: EndpointSettings]?

    public init(EndpointsConfig: [String: EndpointSettings]? = nil) { self.EndpointsConfig = EndpointsConfig }
}

/// `POST /containers/create`: Config's fields at the top level, plus HostConfig and NetworkingConfig.
/// The Config part is a `ContainerConfig`; its fields read and write as the request's own
/// (`request.Image`), and encode flat, as Docker sends them.
@dynamicMemberLookup
public struct ContainerCreateRequest: Codable, Sendable, Equatable {
    /// The Config part, as inspect shows it.
    public var config = ContainerConfig()
    public var HostConfig: HostConfig?
    public var NetworkingConfig: NetworkingConfig?

    public init() {}

    public subscript<T>(dynamicMember path: WritableKeyPath<ContainerConfig, T>) -> T {
        get { config[keyPath: path] }
        set { config[keyPath: path] = newValue }
    }

    enum Keys: String, CodingKey { case HostConfig, NetworkingConfig }

    public init(from decoder: any Decoder) throws {
        config = try ContainerConfig(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        HostConfig = try c.decodeIfPresent(BerthAPI.HostConfig.self, forKey: .HostConfig)
        NetworkingConfig = try c.decodeIfPresent(BerthAPI.NetworkingConfig.self, forKey: .NetworkingConfig)
    }

    public func encode(to encoder: any Encoder) throws {
        try config.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(HostConfig, forKey: .HostConfig)
        try c.encodeIfPresent(NetworkingConfig, forKey: .NetworkingConfig)
    }
}

public struct ContainerCreateResponse: Codable, Sendable, Equatable {
    public var Id: String
    public var Warnings: [String]

    public init(Id: String, Warnings: [String] = []) {
        self.Id = Id
        self.Warnings = Warnings
    }
}

public struct ContainerState: Codable, Sendable, Equatable {
    public var Status: String
    public var Running: Bool
    public var Paused: Bool
    public var Restarting: Bool
    public var OOMKilled: Bool
    public var Dead: Bool
    public var Pid: Int
    public var ExitCode: Int
    public var Error: String
    public var StartedAt: String
    public var FinishedAt: String

    public static let zeroTime = "0001-01-01T00:00:00Z"

    public init(
        Status: String, Running: Bool, Pid: Int, ExitCode: Int, Error: String, StartedAt: String, FinishedAt: String,
        OOMKilled: Bool = false
    ) {
        self.Status = Status
        self.Running = Running
        self.Paused = false
        self.Restarting = false
        self.OOMKilled = OOMKilled
        self.Dead = false
        self.Pid = Pid
        self.ExitCode = ExitCode
        self.Error = Error
        self.StartedAt = StartedAt
        self.FinishedAt = FinishedAt
    }
}

/// `NetworkSettings` of inspect. `Ports` maps "80/tcp" to its bindings, or to null when the port is
/// exposed but not published.
public struct NetworkSettings: Codable, Sendable, Equatable {
    public var Bridge: String = ""
    public var SandboxID: String = ""
    public var SandboxKey: String = ""
    public var Ports: [String: [PortBindingJSON]?] = [:]
    public var HairpinMode: Bool = false
    public var LinkLocalIPv6Address: String = ""
    public var LinkLocalIPv6PrefixLen: Int = 0
    public var SecondaryIPAddresses: [String]? = nil
    public var SecondaryIPv6Addresses: [String]? = nil
    public var EndpointID: String = ""
    public var Gateway: String = ""
    public var GlobalIPv6Address: String = ""
    public var GlobalIPv6PrefixLen: Int = 0
    public var IPAddress: String = ""
    public var IPPrefixLen: Int = 0
    public var IPv6Gateway: String = ""
    public var MacAddress: String = ""
    public var Networks: [String: EndpointSettings] = [:]

    public init() {}

    public func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey {
            case Bridge, SandboxID, SandboxKey, Ports, HairpinMode, LinkLocalIPv6Address, LinkLocalIPv6PrefixLen
            case SecondaryIPAddresses, SecondaryIPv6Addresses, EndpointID, Gateway, GlobalIPv6Address
            case GlobalIPv6PrefixLen, IPAddress, IPPrefixLen, IPv6Gateway, MacAddress, Networks
        }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(Bridge, forKey: .Bridge)
        try c.encode(SandboxID, forKey: .SandboxID)
        try c.encode(SandboxKey, forKey: .SandboxKey)
        try c.encode(Ports, forKey: .Ports)
        try c.encode(HairpinMode, forKey: .HairpinMode)
        try c.encode(LinkLocalIPv6Address, forKey: .LinkLocalIPv6Address)
        try c.encode(LinkLocalIPv6PrefixLen, forKey: .LinkLocalIPv6PrefixLen)
        try c.encode(SecondaryIPAddresses, forKey: .SecondaryIPAddresses)
        try c.encode(SecondaryIPv6Addresses, forKey: .SecondaryIPv6Addresses)
        try c.encode(EndpointID, forKey: .EndpointID)
        try c.encode(Gateway, forKey: .Gateway)
        try c.encode(GlobalIPv6Address, forKey: .GlobalIPv6Address)
        try c.encode(GlobalIPv6PrefixLen, forKey: .GlobalIPv6PrefixLen)
        try c.encode(IPAddress, forKey: .IPAddress)
        try c.encode(IPPrefixLen, forKey: .IPPrefixLen)
        try c.encode(IPv6Gateway, forKey: .IPv6Gateway)
        try c.encode(MacAddress, forKey: .MacAddress)
        try c.encode(Networks, forKey: .Networks)
    }
}

/// `GET /containers/{id}/json`.
public struct ContainerInspect: Codable, Sendable, Equatable {
    public var Id: String
    public var Created: String
    public var Path: String
    public var Args: [String]
    public var State: ContainerState
    public var Image: String
    public var ResolvConfPath: String
    public var HostnamePath: String
    public var HostsPath: String
    public var LogPath: String
    public var Name: String
    public var RestartCount: Int
    public var Driver: String
    public var Platform: String
    public var MountLabel: String
    public var ProcessLabel: String
    public var AppArmorProfile: String
    public var ExecIDs: [String]?
    public var HostConfig: HostConfig
    public var Mounts: [EmptyObject]
    public var Config: ContainerConfig
    public var NetworkSettings: NetworkSettings

    public init(
        Id: String, Created: String, Path: String, Args: [String], State: ContainerState, Image: String,
        ResolvConfPath: String, HostnamePath: String, HostsPath: String, LogPath: String, Name: String,
        RestartCount: Int, ExecIDs: [String]?, HostConfig: HostConfig, Config: ContainerConfig,
        NetworkSettings: NetworkSettings
    ) {
        self.Id = Id
        self.Created = Created
        self.Path = Path
        self.Args = Args
        self.State = State
        self.Image = Image
        self.ResolvConfPath = ResolvConfPath
        self.HostnamePath = HostnamePath
        self.HostsPath = HostsPath
        self.LogPath = LogPath
        self.Name = Name
        self.RestartCount = RestartCount
        self.Driver = "overlay2"
        self.Platform = "linux"
        self.MountLabel = ""
        self.ProcessLabel = ""
        self.AppArmorProfile = ""
        self.ExecIDs = ExecIDs
        self.HostConfig = HostConfig
        self.Mounts = []
        self.Config = Config
        self.NetworkSettings = NetworkSettings
    }

    public func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey {
            case Id, Created, Path, Args, State, Image, ResolvConfPath, HostnamePath, HostsPath, LogPath, Name
            case RestartCount, Driver, Platform, MountLabel, ProcessLabel, AppArmorProfile, ExecIDs, HostConfig
            case Mounts, Config, NetworkSettings
        }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(Id, forKey: .Id)
        try c.encode(Created, forKey: .Created)
        try c.encode(Path, forKey: .Path)
        try c.encode(Args, forKey: .Args)
        try c.encode(State, forKey: .State)
        try c.encode(Image, forKey: .Image)
        try c.encode(ResolvConfPath, forKey: .ResolvConfPath)
        try c.encode(HostnamePath, forKey: .HostnamePath)
        try c.encode(HostsPath, forKey: .HostsPath)
        try c.encode(LogPath, forKey: .LogPath)
        try c.encode(Name, forKey: .Name)
        try c.encode(RestartCount, forKey: .RestartCount)
        try c.encode(Driver, forKey: .Driver)
        try c.encode(Platform, forKey: .Platform)
        try c.encode(MountLabel, forKey: .MountLabel)
        try c.encode(ProcessLabel, forKey: .ProcessLabel)
        try c.encode(AppArmorProfile, forKey: .AppArmorProfile)
        try c.encode(ExecIDs, forKey: .ExecIDs)
        try c.encode(HostConfig, forKey: .HostConfig)
        try c.encode(Mounts, forKey: .Mounts)
        try c.encode(Config, forKey: .Config)
        try c.encode(NetworkSettings, forKey: .NetworkSettings)
    }
}

public struct ContainerPort: Codable, Sendable, Equatable {
    public var IP: String?
    public var PrivatePort: Int
    public var PublicPort: Int?
    public var `Type`: String

    public init(IP: String? = nil, PrivatePort: Int, PublicPort: Int? = nil, Type: String) {
        self.IP = IP
        self.PrivatePort = PrivatePort
        self.PublicPort = PublicPort
        self.Type = Type
    }
}

public struct SummaryHostConfig: Codable, Sendable, Equatable {
    public var NetworkMode: String

    public init(NetworkMode: String) { self.NetworkMode = NetworkMode }
}

public struct SummaryNetworkSettings: Codable, Sendable, Equatable {
    public var Networks: [String: EndpointSettings]

    public init(Networks: [String: EndpointSettings]) { self.Networks = Networks }
}

/// One row of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable, Equatable {
    public var Id: String
    public var Names: [String]
    public var Image: String
    public var ImageID: String
    public var Command: String
    public var Created: Int64
    public var Ports: [ContainerPort]
    public var Labels: [String: String]
    public var State: String
    public var Status: String
    public var HostConfig: SummaryHostConfig
    public var NetworkSettings: SummaryNetworkSettings
    public var Mounts: [EmptyObject]

    public init(
        Id: String, Names: [String], Image: String, ImageID: String, Command: String, Created: Int64,
        Ports: [ContainerPort], Labels: [String: String], State: String, Status: String, NetworkMode: String,
        Networks: [String: EndpointSettings]
    ) {
        self.Id = Id
        self.Names = Names
        self.Image = Image
        self.ImageID = ImageID
        self.Command = Command
        self.Created = Created
        self.Ports = Ports
        self.Labels = Labels
        self.State = State
        self.Status = Status
        self.HostConfig = SummaryHostConfig(NetworkMode: NetworkMode)
        self.NetworkSettings = SummaryNetworkSettings(Networks: Networks)
        self.Mounts = []
    }
}

public struct WaitError: Codable, Sendable, Equatable {
    public var Message: String

    public init(Message: String) { self.Message = Message }
}

public struct ContainerWaitResponse: Codable, Sendable, Equatable {
    public var StatusCode: Int
    public var Error: WaitError?

    public init(StatusCode: Int, Error: WaitError? = nil) {
        self.StatusCode = StatusCode
        self.Error = Error
    }
}

public struct ContainerTopResponse: Codable, Sendable, Equatable {
    public var Titles: [String]
    public var Processes: [[String]]

    public init(Titles: [String], Processes: [[String]]) {
        self.Titles = Titles
        self.Processes = Processes
    }
}

public struct NetworkConnectRequest: Codable, Sendable, Equatable {
    public var Container: String
    public var EndpointConfig: EndpointSettings?

    public init(Container: String, EndpointConfig: EndpointSettings? = nil) {
        self.Container = Container
        self.EndpointConfig = EndpointConfig
    }
}

public struct NetworkDisconnectRequest: Codable, Sendable, Equatable {
    public var Container: String
    public var Force: Bool?

    public init(Container: String, Force: Bool? = nil) {
        self.Container = Container
        self.Force = Force
    }
}

// MARK: exec

public struct ExecCreateRequest: Codable, Sendable, Equatable {
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var DetachKeys: String?
    public var Tty: Bool?
    public var Env: [String]?
    public var Cmd: [String]?
    public var Privileged: Bool?
    public var User: String?
    public var WorkingDir: String?

    public init() {}
}

public struct ExecCreateResponse: Codable, Sendable, Equatable {
    public var Id: String

    public init(Id: String) { self.Id = Id }
}

public struct ExecStartRequest: Codable, Sendable, Equatable {
    public var Detach: Bool?
    public var Tty: Bool?

    public init(Detach: Bool? = nil, Tty: Bool? = nil) {
        self.Detach = Detach
        self.Tty = Tty
    }

    public var detach: Bool { Detach ?? false }
}

public struct ExecProcessConfig: Codable, Sendable, Equatable {
    public var arguments: [String]
    public var entrypoint: String
    public var privileged: Bool
    public var tty: Bool
    public var user: String

    public init(arguments: [String], entrypoint: String, privileged: Bool, tty: Bool, user: String) {
        self.arguments = arguments
        self.entrypoint = entrypoint
        self.privileged = privileged
        self.tty = tty
        self.user = user
    }
}

public struct ExecInspect: Codable, Sendable, Equatable {
    public var CanRemove: Bool
    public var ContainerID: String
    public var DetachKeys: String
    public var ExitCode: Int?
    public var ID: String
    public var OpenStderr: Bool
    public var OpenStdin: Bool
    public var OpenStdout: Bool
    public var ProcessConfig: ExecProcessConfig
    public var Running: Bool
    public var Pid: Int

    public init(ID: String, ContainerID: String, Running: Bool, ExitCode: Int?, Pid: Int, ProcessConfig: ExecProcessConfig) {
        self.CanRemove = false
        self.ContainerID = ContainerID
        self.DetachKeys = ""
        self.ExitCode = ExitCode
        self.ID = ID
        self.OpenStderr = true
        self.OpenStdin = false
        self.OpenStdout = true
        self.ProcessConfig = ProcessConfig
        self.Running = Running
        self.Pid = Pid
    }

    public func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey {
            case CanRemove, ContainerID, DetachKeys, ExitCode, ID, OpenStderr, OpenStdin, OpenStdout, ProcessConfig
            case Running, Pid
        }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(CanRemove, forKey: .CanRemove)
        try c.encode(ContainerID, forKey: .ContainerID)
        try c.encode(DetachKeys, forKey: .DetachKeys)
        try c.encode(ExitCode, forKey: .ExitCode)
        try c.encode(ID, forKey: .ID)
        try c.encode(OpenStderr, forKey: .OpenStderr)
        try c.encode(OpenStdin, forKey: .OpenStdin)
        try c.encode(OpenStdout, forKey: .OpenStdout)
        try c.encode(ProcessConfig, forKey: .ProcessConfig)
        try c.encode(Running, forKey: .Running)
        try c.encode(Pid, forKey: .Pid)
    }
}

// MARK: images

public struct ImageSummary: Codable, Sendable, Equatable {
    public var Containers: Int
    public var Created: Int64
    public var Id: String
    public var Labels: [String: String]
    public var ParentId: String
    public var RepoDigests: [String]
    public var RepoTags: [String]
    public var SharedSize: Int64
    public var Size: Int64

    public init(Id: String, RepoTags: [String], Created: Int64, Size: Int64, Labels: [String: String], Containers: Int) {
        self.Containers = Containers
        self.Created = Created
        self.Id = Id
        self.Labels = Labels
        self.ParentId = ""
        self.RepoDigests = []
        self.RepoTags = RepoTags
        self.SharedSize = -1
        self.Size = Size
    }
}

public struct RootFS: Codable, Sendable, Equatable {
    public var `Type`: String
    public var Layers: [String]

    public init(Layers: [String]) {
        self.Type = "layers"
        self.Layers = Layers
    }
}

public struct ImageInspect: Codable, Sendable, Equatable {
    public var Id: String
    public var RepoTags: [String]
    public var RepoDigests: [String]
    public var Parent: String
    public var Comment: String
    public var Created: String
    public var DockerVersion: String
    public var Author: String
    public var Config: ContainerConfig
    public var Architecture: String
    public var Os: String
    public var Size: Int64
    public var RootFS: RootFS

    public init(
        Id: String, RepoTags: [String], Created: String, Config: ContainerConfig, Architecture: String, Os: String,
        Size: Int64, Layers: [String]
    ) {
        self.Id = Id
        self.RepoTags = RepoTags
        self.RepoDigests = []
        self.Parent = ""
        self.Comment = ""
        self.Created = Created
        self.DockerVersion = ""
        self.Author = ""
        self.Config = Config
        self.Architecture = Architecture
        self.Os = Os
        self.Size = Size
        self.RootFS = BerthAPI.RootFS(Layers: Layers)
    }
}

public struct ImageDeleteResponseItem: Codable, Sendable, Equatable {
    public var Untagged: String?
    public var Deleted: String?

    public init(Untagged: String? = nil, Deleted: String? = nil) {
        self.Untagged = Untagged
        self.Deleted = Deleted
    }
}

// MARK: berth's own

/// One name a container's resolver answers.
public struct DNSNameEntry: Codable, Sendable, Equatable {
    public var Name: String
    public var Address: String
    public var Network: String

    public init(Name: String, Address: String, Network: String) {
        self.Name = Name
        self.Address = Address
        self.Network = Network
    }
}

/// `GET /berth/containers/{id}/dns` (`berth dns`): what the container's resolver would answer.
public struct ContainerDNSReport: Codable, Sendable, Equatable {
    public var Container: String
    /// Whether the embedded resolver at 127.0.0.11 serves this container (user-defined networks).
    public var Embedded: Bool
    public var Networks: [String]
    public var Names: [DNSNameEntry]
    /// The container's /etc/resolv.conf, as it sees it.
    public var ResolvConf: String

    public init(Container: String, Embedded: Bool, Networks: [String], Names: [DNSNameEntry], ResolvConf: String) {
        self.Container = Container
        self.Embedded = Embedded
        self.Networks = Networks
        self.Names = Names
        self.ResolvConf = ResolvConf
    }
}
