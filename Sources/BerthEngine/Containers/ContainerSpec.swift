import BerthAPI
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
    /// Exposed ports, Docker's keys ("80/tcp") with runs folded into range keys ("8000-8999/tcp", see
    /// `PortKey`): a container exposing a thousand ports stores one entry.
    public var exposedPorts: [String]
    public var stopSignal: String
    public var stopTimeout: Int
    /// "bridge", "host", "none", "container:<ref>" or a user-defined network's name.
    public var networkMode: String
    /// Networks to join, in order (the first is eth0); empty for host/none/container modes.
    public var networks: [NetworkAttachment]
    /// Stored with each run of consecutive ports as one entry (see `PortRuns`).
    @PortRuns public var ports: [PortBinding]
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

    /// The exposed ports one by one, as the API shows them ("80/tcp"); keys that do not parse are kept.
    public var exposedPortKeys: [String] {
        exposedPorts.flatMap { text in (try? PortKey(text))?.singleKeys ?? [text] }
    }

    /// The exposed ports one by one, as numbers.
    var exposedPortList: [(port: UInt16, proto: String)] {
        exposedPorts.flatMap { text in (try? PortKey(text)).map { k in k.ports.map { ($0, k.proto) } } ?? [] }
    }
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

/// Codes published ports with each run of consecutive single ports (`-p 8000-8999:9000-9999`: host and
/// container port one more than the entry before, same protocol and address) as one entry with a
/// `count`, so a container publishing a thousand ports has a spec of a few lines to write and read.
/// A run of one is coded exactly as `PortBinding` is (no `count`), so specs written before decode as is.
@propertyWrapper
public struct PortRuns: Codable, Sendable, Equatable {
    public var wrappedValue: [PortBinding]

    public init(wrappedValue: [PortBinding]) { self.wrappedValue = wrappedValue }

    struct Run: Codable {
        var proto: String
        var hostIP: String
        var hostPort: UInt16
        var hostPortEnd: UInt16
        var containerPort: UInt16
        var count: Int?
    }

    public init(from decoder: any Decoder) throws {
        var out: [PortBinding] = []
        for run in try [Run](from: decoder) {
            let count = run.count ?? 1
            guard count >= 1, count == 1 || (run.hostPortEnd == 0 && Int(run.hostPort) + count - 1 <= 65535
                && Int(run.containerPort) + count - 1 <= 65535)
            else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "invalid port run of \(count)"))
            }
            for i in 0..<count {
                out.append(
                    PortBinding(
                        proto: run.proto, hostIP: run.hostIP, hostPort: run.hostPort == 0 ? 0 : run.hostPort + UInt16(i),
                        hostPortEnd: run.hostPortEnd, containerPort: run.containerPort + UInt16(i)))
            }
        }
        wrappedValue = out
    }

    public func encode(to encoder: any Encoder) throws {
        try PortRuns.runs(wrappedValue).encode(to: encoder)
    }

    /// `ports` folded into runs; only fixed single host ports join a run (0, "any free port", and host
    /// ranges stand alone).
    static func runs(_ ports: [PortBinding]) -> [Run] {
        var out: [Run] = []
        for p in ports {
            let count = out.last?.count ?? 1
            if let last = out.last, last.proto == p.proto, last.hostIP == p.hostIP, last.hostPortEnd == 0,
                p.hostPortEnd == 0, last.hostPort != 0, Int(last.hostPort) + count == Int(p.hostPort),
                Int(last.containerPort) + count == Int(p.containerPort)
            {
                out[out.count - 1].count = count + 1
            } else {
                out.append(
                    Run(proto: p.proto, hostIP: p.hostIP, hostPort: p.hostPort, hostPortEnd: p.hostPortEnd,
                        containerPort: p.containerPort, count: nil))
            }
        }
        return out
    }
}
