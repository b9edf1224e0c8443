import BerthAddressing

/// A network as the packet filter sees it.
public struct FilterNetwork: Sendable, Equatable {
    public var id: String
    public var bridge: String
    public var subnet: IPv4Network
    public var gateway: IPv4Address
    public var `internal`: Bool

    public init(id: String, bridge: String, subnet: IPv4Network, gateway: IPv4Address, internal: Bool) {
        self.id = id
        self.bridge = bridge
        self.subnet = subnet
        self.gateway = gateway
        self.internal = `internal`
    }
}

/// A published port as the packet filter sees it.
public struct FilterPort: Sendable, Equatable {
    public var networkId: String
    public var endpointId: String
    /// `tcp` or `udp`.
    public var proto: String
    public var hostIP: IPv4Address?
    public var hostPort: UInt16
    public var containerIP: IPv4Address
    public var containerPort: UInt16

    public init(
        networkId: String, endpointId: String, proto: String, hostIP: IPv4Address?, hostPort: UInt16,
        containerIP: IPv4Address, containerPort: UInt16
    ) {
        self.networkId = networkId
        self.endpointId = endpointId
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
    }
}

/// Makes the host's packet filter match berth's networks and ports: one atomic replacement of
/// berth's own table per call, so a failure leaves the previous ruleset in force.
public protocol PacketFilter: Sendable {
    func sync(networks: [FilterNetwork], ports: [FilterPort]) throws
    /// Removes berth's table and any rules berth added to other tables.
    func removeAll() throws
}
