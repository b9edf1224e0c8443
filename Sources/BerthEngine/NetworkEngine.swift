import BerthAddressing
import BerthCore
import BerthDNS
import BerthFirewall
import BerthStore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// What a caller asks for when joining a sandbox to a network.
public struct EndpointRequest: Sendable {
    public var network: String
    public var ownerId: String
    public var ownerName: String
    /// Path of the sandbox's network namespace.
    public var sandbox: String
    public var sandboxInterface: String
    public var ipv4: String?
    public var mac: String?
    public var aliases: [String]
    public var ports: [PortRequest]
    /// Whether this endpoint gives the sandbox its default route.
    public var defaultRoute: Bool

    public init(
        network: String, ownerId: String, ownerName: String, sandbox: String, sandboxInterface: String = "eth0",
        ipv4: String? = nil, mac: String? = nil, aliases: [String] = [], ports: [PortRequest] = [],
        defaultRoute: Bool = true
    ) {
        self.network = network
        self.ownerId = ownerId
        self.ownerName = ownerName
        self.sandbox = sandbox
        self.sandboxInterface = sandboxInterface
        self.ipv4 = ipv4
        self.mac = mac
        self.aliases = aliases
        self.ports = ports
        self.defaultRoute = defaultRoute
    }
}

/// One `-p [hostIP:][hostPort:]containerPort[/proto]`.
public struct PortRequest: Sendable, Equatable, Hashable {
    public var proto: String
    public var hostIP: IPv4Address?
    /// 0 asks for an ephemeral port chosen by the kernel.
    public var hostPort: UInt16
    /// With `hostPort`, a range (`-p 8000-8010:80`): the first free port in it is taken. 0 = one port.
    public var hostPortEnd: UInt16
    public var containerPort: UInt16

    public init(
        proto: String = "tcp", hostIP: IPv4Address? = nil, hostPort: UInt16, hostPortEnd: UInt16 = 0, containerPort: UInt16
    ) {
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.hostPortEnd = hostPortEnd
        self.containerPort = containerPort
    }
}

/// Parameters of `network create`, already split out of the API request.
public struct NetworkCreateSpec: Sendable {
    public var name: String
    public var driver: String
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public var `internal`: Bool
    public var attachable: Bool
    public var enableIPv6: Bool
    public var options: [String: String]
    public var labels: [String: String]

    public init(
        name: String, driver: String = "bridge", subnet: String? = nil, gateway: String? = nil, ipRange: String? = nil,
        internal: Bool = false, attachable: Bool = false, enableIPv6: Bool = false, options: [String: String] = [:],
        labels: [String: String] = [:]
    ) {
        self.name = name
        self.driver = driver
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.internal = `internal`
        self.attachable = attachable
        self.enableIPv6 = enableIPv6
        self.options = options
        self.labels = labels
    }
}

/// Owns berth's networks and endpoints: the store records, the bridges and veths, the firewall.
///
/// One actor, so changes to networks are serialised; every change follows "record intent, act with
/// an undo stack, mark done" and the reconciler (`start`) finishes or undoes what a crash interrupted.
public actor NetworkEngine {
    public nonisolated let config: EngineConfig
    let store: Store
    let kernel: any NetworkKernel
    let firewall: any FirewallDriver
    let ports: PortReservations
    /// The embedded resolver; nil runs the engine without DNS (unit tests).
    let dns: EmbeddedDNS?
    /// Resolver listeners by sandbox path: one per sandbox that is on a user-defined network.
    var dnsListeners: [String: EmbeddedDNS.Listener] = [:]
    /// sandbox → the container's own upstream resolvers (`--dns`).
    var dnsServers: [String: [IPv4Address]] = [:]
    /// What each sandbox's resolver answers, rebuilt after changes (see `DNSViewCache`).
    let dnsCache = DNSViewCache()

    /// Driver option naming a custom bridge (Docker's).
    public static let bridgeNameOption = "com.docker.network.bridge.name"
    /// Driver option setting the MTU (Docker's).
    public static let mtuOption = "com.docker.network.driver.mtu"

    public init(
        config: EngineConfig, store: Store, kernel: any NetworkKernel, firewall: any FirewallDriver,
        dns: EmbeddedDNS? = nil
    ) {
        self.dns = dns
        self.config = config
        self.store = store
        self.kernel = kernel
        self.firewall = firewall
        self.ports = PortReservations(namespace: config.hostNamespace)
    }

    // MARK: lookups

    /// Finds a network the way Docker does: full id, then exact name, then a unique id prefix.
    public func network(_ ref: String) throws -> NetworkRecord {
        try store.read { tx in try NetworkEngine.resolve(ref, in: tx.networks()) }
    }

    static func resolve(_ ref: String, in all: [NetworkRecord]) throws -> NetworkRecord {
        let live = all.filter { $0.state != .removing }
        if let n = live.first(where: { $0.id == ref }) { return n }
        if let n = live.first(where: { $0.name == ref }) { return n }
        let byPrefix = Identifier.isHexPrefix(ref) ? live.filter { $0.id.hasPrefix(ref) } : []
        if byPrefix.count == 1 { return byPrefix[0] }
        if byPrefix.count > 1 {
            throw BerthError.invalid("network id prefix \"\(ref)\" is ambiguous: it matches \(byPrefix.count) networks")
        }
        throw BerthError.notFound("network \(ref) not found")
    }

    public func networks() throws -> [NetworkRecord] {
        try store.read { tx in try tx.networks().filter { $0.state != .removing } }
    }

    /// The endpoints of one owner (a container), read by owner rather than filtered from all.
    public func endpoints(owner: String) throws -> [EndpointRecord] {
        try store.read { tx in try tx.endpoints(owner: owner) }
    }

    public func endpoints(network id: String? = nil) throws -> [EndpointRecord] {
        try store.read { tx in try tx.endpoints(network: id) }
    }

    public func portMappings(endpoint: String? = nil) throws -> [PortMappingRecord] {
        try store.read { tx in try tx.portMappings(endpoint: endpoint) }
    }
}
