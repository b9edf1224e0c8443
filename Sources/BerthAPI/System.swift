/// `GET /version`.
public struct VersionResponse: Codable, Sendable, Equatable {
    public var version: String
    public var apiVersion: String
    public var minAPIVersion: String
    public var os: String
    public var arch: String
    public var kernelVersion: String
    public var gitCommit: String
    public var goVersion: String

    public init(version: String, apiVersion: String, minAPIVersion: String, os: String, arch: String, kernelVersion: String) {
        self.version = version
        self.apiVersion = apiVersion
        self.minAPIVersion = minAPIVersion
        self.os = os
        self.arch = arch
        self.kernelVersion = kernelVersion
        gitCommit = ""
        // Docker clients print this field; berth is not written in Go, and says so.
        goVersion = "none (berth is written in Swift)"
    }

    enum CodingKeys: String, CodingKey {
        case version = "Version"
        case apiVersion = "ApiVersion"
        case minAPIVersion = "MinAPIVersion"
        case os = "Os"
        case arch = "Arch"
        case kernelVersion = "KernelVersion"
        case gitCommit = "GitCommit"
        case goVersion = "GoVersion"
    }
}

/// berth's own facts in `GET /info` (under `Berth`).
public struct BerthInfo: Codable, Sendable, Equatable {
    public var root: String
    public var run: String
    public var configFile: String
    public var firewallTable: String
    public var defaultBridge: String
    public var configWarnings: [String]
    /// The OCI runtime berthd runs containers with, and why it chose it.
    public var runtime: String
    public var runtimeReason: String

    public init(
        root: String, run: String, configFile: String, firewallTable: String, defaultBridge: String,
        configWarnings: [String], runtime: String = "", runtimeReason: String = ""
    ) {
        self.runtime = runtime
        self.runtimeReason = runtimeReason
        self.root = root
        self.run = run
        self.configFile = configFile
        self.firewallTable = firewallTable
        self.defaultBridge = defaultBridge
        self.configWarnings = configWarnings
    }

    enum CodingKeys: String, CodingKey {
        case root = "Root"
        case run = "Run"
        case configFile = "ConfigFile"
        case firewallTable = "FirewallTable"
        case defaultBridge = "DefaultBridge"
        case configWarnings = "ConfigWarnings"
        case runtime = "Runtime"
        case runtimeReason = "RuntimeReason"
    }
}

/// `GET /info` (the subset berth can answer truthfully).
public struct InfoResponse: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var containers: Int
    public var containersRunning: Int
    public var images: Int
    public var networks: Int
    public var kernelVersion: String
    public var operatingSystem: String
    public var osType: String
    public var architecture: String
    public var ncpu: Int
    public var memTotal: Int64
    public var serverVersion: String
    public var dockerRootDir: String
    public var berth: BerthInfo

    public init(
        id: String, name: String, containers: Int, containersRunning: Int, images: Int, networks: Int,
        kernelVersion: String, operatingSystem: String, osType: String, architecture: String, ncpu: Int,
        memTotal: Int64, serverVersion: String, dockerRootDir: String, berth: BerthInfo
    ) {
        self.id = id
        self.name = name
        self.containers = containers
        self.containersRunning = containersRunning
        self.images = images
        self.networks = networks
        self.kernelVersion = kernelVersion
        self.operatingSystem = operatingSystem
        self.osType = osType
        self.architecture = architecture
        self.ncpu = ncpu
        self.memTotal = memTotal
        self.serverVersion = serverVersion
        self.dockerRootDir = dockerRootDir
        self.berth = berth
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case name = "Name"
        case containers = "Containers"
        case containersRunning = "ContainersRunning"
        case images = "Images"
        case networks = "Networks"
        case kernelVersion = "KernelVersion"
        case operatingSystem = "OperatingSystem"
        case osType = "OSType"
        case architecture = "Architecture"
        case ncpu = "NCPU"
        case memTotal = "MemTotal"
        case serverVersion = "ServerVersion"
        case dockerRootDir = "DockerRootDir"
        case berth = "Berth"
    }
}

/// berth's version and the Docker Engine API version it speaks.
public enum BerthVersion {
    public static let version = "0.1.0"
    public static let apiVersion = "1.43"
    public static let minAPIVersion = "1.24"
}
