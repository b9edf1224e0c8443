import BerthAddressing
import BerthCore

/// Everything berth's packet filter has to express, as plain values: the networks berth owns, the ports
/// published into them, and one fact about the host (whether its `ip filter FORWARD` policy drops).
///
/// The kernel ruleset is a pure function of this state: the same state always yields the same script
/// (`RulesetBuilder.build`), byte for byte. When only published ports changed since the driver last
/// applied a state, it patches the port maps' elements instead (`RulesetBuilder.portDelta`), which ends
/// in the same ruleset; anything else, or a failed patch, rebuilds the table whole.
public struct FirewallState: Sendable, Equatable {
    /// The nftables table berth owns (`table ip <table>`). Also the prefix of every comment tag, so two
    /// berth instances (a test beside a live berthd) never claim each other's rules.
    public var table: String
    /// berth's bridge networks; order does not matter (the builder sorts by id).
    public var networks: [FirewallNetwork]
    /// Published ports; order does not matter (the builder sorts them).
    public var ports: [PublishedPort]
    /// Whether the host's `ip filter FORWARD` chain has policy drop (Docker sets it). When true, berth also
    /// adds narrow accept rules for its bridges to that chain (see `RulesetBuilder.hostForwardRules`),
    /// because a drop in any base chain at a hook is final, whatever berth's own table accepts.
    public var hostForwardPolicyIsDrop: Bool

    /// The table name a production berthd uses.
    public static let defaultTable = "berth"

    /// A state; everything but the table name defaults to empty.
    public init(
        table: String = FirewallState.defaultTable, networks: [FirewallNetwork] = [], ports: [PublishedPort] = [],
        hostForwardPolicyIsDrop: Bool = false
    ) {
        self.table = table
        self.networks = networks
        self.ports = ports
        self.hostForwardPolicyIsDrop = hostForwardPolicyIsDrop
    }
}

/// One berth bridge network as the firewall sees it.
public struct FirewallNetwork: Sendable, Equatable {
    /// The network id (64 hex digits); rules are tagged with its first 12 (`berth:net:<12 hex>`).
    public var id: String
    /// The Linux bridge carrying the network (`br-<12 hex>`, `berth0`).
    public var bridge: InterfaceName
    /// The network's IPv4 subnet, masqueraded when it leaves through another interface.
    public var subnet: IPv4Network
    /// The bridge's own address (the containers' default gateway).
    public var gateway: IPv4Address
    /// `--internal`: no traffic in or out except between the network's own members; no masquerade and
    /// no published ports (like Docker, ports published on an internal network are not reachable).
    public var `internal`: Bool

    /// Describes one network.
    public init(id: String, bridge: InterfaceName, subnet: IPv4Network, gateway: IPv4Address, internal: Bool = false) {
        self.id = id
        self.bridge = bridge
        self.subnet = subnet
        self.gateway = gateway
        self.internal = `internal`
    }
}

/// A transport protocol a port can be published for.
public enum TransportProtocol: String, Sendable, Equatable, Comparable, CaseIterable {
    /// TCP (`-p 8080:80`, `-p 8080:80/tcp`).
    case tcp
    /// UDP (`-p 5353:53/udp`).
    case udp

    /// Orders tcp before udp, so generated scripts list them in that order.
    public static func < (l: Self, r: Self) -> Bool { l == .tcp && r == .udp }
}

/// One published port: traffic to `hostIP:hostPort` (any local address when `hostIP` is nil) is DNAT'ed
/// to `containerIP:containerPort`.
public struct PublishedPort: Sendable, Equatable {
    /// The network the container's endpoint is on (64 hex digits).
    public var networkId: String
    /// The endpoint owning the mapping; its map element is tagged `berth:ep:<12 hex>`.
    public var endpointId: String
    /// tcp or udp.
    public var proto: TransportProtocol
    /// The host address the port is published on; nil (or 0.0.0.0) means every local address,
    /// including 127.0.0.1.
    public var hostIP: IPv4Address?
    /// The port on the host.
    public var hostPort: UInt16
    /// The container's address on `networkId`.
    public var containerIP: IPv4Address
    /// The port inside the container.
    public var containerPort: UInt16

    /// Describes one mapping.
    public init(
        networkId: String, endpointId: String, proto: TransportProtocol = .tcp, hostIP: IPv4Address? = nil,
        hostPort: UInt16, containerIP: IPv4Address, containerPort: UInt16
    ) {
        self.networkId = networkId
        self.endpointId = endpointId
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
    }

    /// The host address, with 0.0.0.0 folded into nil ("every address").
    public var specificHostIP: IPv4Address? {
        guard let hostIP, !hostIP.isUnspecified else { return nil }
        return hostIP
    }
}

extension FirewallState {
    /// The comment tag of everything owned by berth itself rather than by one network (base chains,
    /// the DNAT dispatch): the table name.
    public var baseTag: String { table }

    /// The comment tag of a network's rules: `<table>:net:<12 hex>` (`berth:net:3f2a…`).
    public func tag(network id: String) -> String { "\(table):net:\(Identifier.short(id))" }

    /// The comment tag of an endpoint's map elements: `<table>:ep:<12 hex>`.
    public func tag(endpoint id: String) -> String { "\(table):ep:\(Identifier.short(id))" }

    /// Whether a comment found in the kernel belongs to this berth instance (its table's tags).
    public func owns(comment: String) -> Bool { comment == table || comment.hasPrefix(table + ":") }

    /// Checks that the state can be written as an nftables script that means what it says: names nft
    /// can quote, ids that make distinct tags, and no two mappings for the same host address and port.
    /// `NftablesDriver.apply` calls this before touching the kernel.
    public func validate() throws(BerthError) {
        guard Self.isValidTableName(table) else {
            throw .invalid(
                "invalid nftables table name \"\(table)\": use 1–32 characters [A-Za-z0-9_-], starting with a letter")
        }
        var shortIds: [String: String] = [:]
        var bridges: Set<String> = []
        for network in networks {
            guard network.id.utf8.count >= 12, Identifier.isHexPrefix(network.id) else {
                throw .invalid("network id \"\(network.id)\" is not a hex id of at least 12 digits")
            }
            if let other = shortIds[Identifier.short(network.id)], other != network.id {
                throw .conflict(
                    "networks \(other) and \(network.id) share the short id \(Identifier.short(network.id))")
            }
            guard shortIds.updateValue(network.id, forKey: Identifier.short(network.id)) == nil else {
                throw .conflict("network \(network.id) is listed twice in the firewall state")
            }
            guard Self.isQuotableInterfaceName(network.bridge.value) else {
                throw .invalid(
                    "bridge name \"\(network.bridge)\" of network \(Identifier.short(network.id)) cannot be used in an nftables rule"
                )
            }
            guard bridges.insert(network.bridge.value).inserted else {
                throw .conflict("bridge \(network.bridge) is used by two networks")
            }
        }
        var keys: [MapKey: PublishedPort] = [:]
        keys.reserveCapacity(ports.count)
        // A container's ports come together: its endpoint and network are checked once per run of them.
        var checkedEndpoint = ""
        var lastNetwork: FirewallNetwork?
        for port in ports {
            if port.endpointId != checkedEndpoint {
                guard Identifier.isHexPrefix(port.endpointId), port.endpointId.utf8.count >= 12 else {
                    throw .invalid("endpoint id \"\(port.endpointId)\" is not a hex id of at least 12 digits")
                }
                checkedEndpoint = port.endpointId
            }
            guard port.hostPort != 0, port.containerPort != 0 else {
                throw .invalid("port 0 cannot be published (\(port.proto) \(port.hostPort) → \(port.containerPort))")
            }
            if lastNetwork?.id != port.networkId { lastNetwork = networks.first(where: { $0.id == port.networkId }) }
            guard let network = lastNetwork else {
                throw .notFound(
                    "published port \(port.hostPort)/\(port.proto) refers to network \(Identifier.short(port.networkId)), which the firewall state does not contain"
                )
            }
            guard network.subnet.contains(port.containerIP) else {
                throw .invalid(
                    "published port \(port.hostPort)/\(port.proto) targets \(port.containerIP), outside network \(Identifier.short(network.id))'s subnet \(network.subnet)"
                )
            }
            let key = MapKey(port)
            if let other = keys.updateValue(port, forKey: key) {
                throw .conflict(
                    "host port \(key) is published twice (endpoints \(Identifier.short(other.endpointId)) and \(Identifier.short(port.endpointId)))"
                )
            }
        }
    }

    /// nft identifiers: a letter, then letters, digits, `_` or `-`; the kernel limit is 256 but berth keeps
    /// table names short so tags stay readable.
    static func isValidTableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first), name.utf8.count <= 32 else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Interface names go inside double quotes in nft; nft strings have no escapes, so allow only
    /// characters that need none (every name berth itself makes is of this form).
    static func isQuotableInterfaceName(_ name: String) -> Bool {
        name.unicodeScalars.allSatisfy {
            isLetter($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "." || $0 == "@"
        }
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
}

/// The key of a published port in its map: protocol, host address (nil = any) and host port.
struct MapKey: Hashable, CustomStringConvertible {
    let proto: TransportProtocol
    let hostIP: IPv4Address?
    let hostPort: UInt16

    init(_ port: PublishedPort) {
        proto = port.proto
        hostIP = port.specificHostIP
        hostPort = port.hostPort
    }

    var description: String { "\(hostIP.map { "\($0):" } ?? "")\(hostPort)/\(proto)" }
}
