import BerthCore

/// A compose project after loading, interpolation, merging and validation: ready to plan from.
public struct ComposeProject: Sendable {
    public var name: String
    /// Services in start order (`depends_on` first, then file order).
    public var services: [ComposeService]
    public var networks: [ComposeNetwork]
    /// Unknown keys and other things worth saying, each naming the file and line.
    public var warnings: [String]
    /// The project directory (where `.env` and relative `env_file`s are read).
    public var directory: String = ""

    public init(name: String, services: [ComposeService], networks: [ComposeNetwork], warnings: [String]) {
        self.name = name
        self.services = services
        self.networks = networks
        self.warnings = warnings
    }

    /// `<project>_default`, which every service joins unless it chose networks or a network mode.
    public var defaultNetworkName: String { "\(name)_default" }
}

/// One published port (`ports:` short or long syntax).
public struct ComposePort: Sendable, Equatable {
    public var hostIP: String?
    /// nil: an ephemeral host port.
    public var published: UInt16?
    public var target: UInt16
    public var proto: String
}

/// How a service attaches to the network (`network_mode:`).
public enum ComposeNetworkMode: Sendable, Equatable {
    case host, bridge
    /// `network_mode: none`: only lo.
    case noNetwork
    case service(String)
    case container(String)
}

/// One service's attachment to a project network.
public struct ComposeServiceNetwork: Sendable, Equatable {
    public var name: String
    public var aliases: [String]
    public var ipv4Address: String?
}

/// A top-level network.
public struct ComposeNetwork: Sendable, Equatable {
    /// The key in the file.
    public var key: String
    /// The engine's name (`<project>_<key>` unless `name:` or `external`).
    public var name: String
    public var driver: String
    public var `internal`: Bool
    public var external: Bool
    public var subnet: String?
    public var gateway: String?
    public var labels: [String: String]
}

/// One `env_file` entry, with where it was named.
public struct ComposeEnvFile: Sendable, Equatable {
    public var path: String
    public var origin: String
}

/// One service.
public struct ComposeService: Sendable, Equatable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var entrypoint: [String]?
    public var environment: [String: String] = [:]
    public var envFiles: [ComposeEnvFile] = []
    public var containerName: String?
    public var ports: [ComposePort] = []
    public var expose: [String] = []
    public var networkMode: ComposeNetworkMode?
    public var networks: [ComposeServiceNetwork] = []
    public var hostname: String?
    public var extraHosts: [String] = []
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dependsOn: [String] = []
    public var restart: String = "no"
    /// Bytes (`mem_limit` or `deploy.resources.limits.memory`).
    public var memoryLimit: Int64?
    public var cpus: Double?
    public var pidsLimit: Int?
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var labels: [String: String] = [:]
    public var workingDir: String?
    public var user: String?
    public var tty = false
    public var stdinOpen = false

    public init(name: String) { self.name = name }

    /// `<project>-<service>-<n>`, Compose v2's container names.
    /// `container_name:` when given.
    public func containerName(project: String, index: Int = 1) -> String {
        containerName ?? "\(project)-\(name)-\(index)"
    }
}
