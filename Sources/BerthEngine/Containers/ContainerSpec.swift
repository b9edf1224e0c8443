import BerthCore

/// What a user asked for when creating a container, resolved against its image and validated: the
/// engine's own form of Docker's create body, persisted as the container record's `spec`.
public struct ContainerSpec: Codable, Sendable, Equatable {
    public var image: String
    public var imageId: String
    /// The command after applying the image's defaults: entrypoint + cmd.
    public var entrypoint: [String]
    public var cmd: [String]
    public var env: [String]
    public var workingDir: String
    public var user: String
    public var hostname: String
    public var domainname: String
    public var labels: [String: String]
    public var tty: Bool
    public var openStdin: Bool
    /// `StdinOnce`: the container's stdin closes when the first attached client's stdin ends
    /// (`run -i`). Optional so records written before it existed still decode.
    public var stdinOnce: Bool?
    /// Exposed ports, Docker's keys ("80/tcp").
    public var exposedPorts: [String]
    public var stopSignal: String
    public var stopTimeout: Int
    /// "bridge", "host", "none", "container:<ref>" or a user-defined network's name.
    public var networkMode: String
    /// Networks to join, in order (the first is eth0); empty for host/none/container modes.
    public var networks: [NetworkAttachment]
    public var ports: [PortBinding]
    public var publishAll: Bool
    public var pidMode: String
    public var ipcMode: String
    public var utsMode: String
    public var capAdd: [String]
    public var capDrop: [String]
    public var privileged: Bool
    public var memory: Int64
    public var nanoCPUs: Int64
    public var pidsLimit: Int64
    public var extraHosts: [String]
    public var dns: [String]
    public var dnsSearch: [String]
    public var dnsOptions: [String]
    public var autoRemove: Bool
    public var restartPolicy: String
    public var sysctls: [String: String]
    /// The create body as the client sent it, echoed back by inspect's Config/HostConfig.
    public var request: String

    public init(image: String, imageId: String) {
        self.image = image
        self.imageId = imageId
        entrypoint = []
        cmd = []
        env = []
        workingDir = ""
        user = ""
        hostname = ""
        domainname = ""
        labels = [:]
        tty = false
        openStdin = false
        exposedPorts = []
        stopSignal = "SIGTERM"
        stopTimeout = 10
        networkMode = "bridge"
        networks = []
        ports = []
        publishAll = false
        pidMode = ""
        ipcMode = ""
        utsMode = ""
        capAdd = []
        capDrop = []
        privileged = false
        memory = 0
        nanoCPUs = 0
        pidsLimit = 0
        extraHosts = []
        dns = []
        dnsSearch = []
        dnsOptions = []
        autoRemove = false
        restartPolicy = "no"
        sysctls = [:]
        request = "{}"
    }

    /// The program and arguments the container's first process runs.
    public var argv: [String] { entrypoint + cmd }
}

/// One network a container joins.
public struct NetworkAttachment: Codable, Sendable, Equatable {
    public var network: String
    public var aliases: [String]
    public var ipv4: String?
    public var mac: String?

    public init(network: String, aliases: [String] = [], ipv4: String? = nil, mac: String? = nil) {
        self.network = network
        self.aliases = aliases
        self.ipv4 = ipv4
        self.mac = mac
    }
}

/// A published port: host side (ip, port or 0 for "any free port") to a container port.
public struct PortBinding: Codable, Sendable, Equatable, Hashable {
    public var proto: String
    public var hostIP: String
    public var hostPort: UInt16
    /// End of a host port range (`-p 8000-8010:80`), 0 for one port.
    public var hostPortEnd: UInt16 = 0
    public var containerPort: UInt16

    public init(proto: String = "tcp", hostIP: String = "", hostPort: UInt16, hostPortEnd: UInt16 = 0, containerPort: UInt16) {
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.hostPortEnd = hostPortEnd
        self.containerPort = containerPort
    }
}
