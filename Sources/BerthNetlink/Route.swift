import BerthAddressing

/// A destination prefix of either family.
public enum IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 prefix.
    case v4(IPv4Network)
    /// An IPv6 prefix.
    case v6(IPv6Network)

    /// The IPv4 prefix, if this is one.
    public var ipv4: IPv4Network? {
        if case .v4(let n) = self { return n }
        return nil
    }

    /// CIDR text.
    public var description: String {
        switch self {
        case .v4(let n): n.description
        case .v6(let n): n.description
        }
    }
}

/// A route, as `ip route show` lists it.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    /// AF_INET or AF_INET6.
    public var family: AddressFamily
    /// The destination prefix; nil for the default route.
    public var destination: IPPrefix?
    /// The next hop (`via`), if any.
    public var gateway: IPAddress?
    /// The output interface index (`dev`), if any.
    public var outputInterface: Int?
    /// The table (`main` unless policy routing is in use).
    public var table: RouteTable
    /// Who installed it (`proto kernel` for connected subnets, `proto boot` for `ip route add`).
    public var `protocol`: RouteProtocol
    /// `scope link` for directly attached networks, `global` for routes via a gateway.
    public var scope: RouteScope
    /// RTN_UNICAST for ordinary routes.
    public var type: RouteType
    /// The metric (RTA_PRIORITY), if set.
    public var metric: UInt32?
    /// The preferred source address (`src`), if set.
    public var preferredSource: IPAddress?

    /// A route.
    public init(
        family: AddressFamily, destination: IPPrefix?, gateway: IPAddress? = nil, outputInterface: Int? = nil,
        table: RouteTable = .main, protocol: RouteProtocol = .boot, scope: RouteScope = .universe,
        type: RouteType = .unicast, metric: UInt32? = nil, preferredSource: IPAddress? = nil
    ) {
        self.family = family
        self.destination = destination
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.table = table
        self.protocol = `protocol`
        self.scope = scope
        self.type = type
        self.metric = metric
        self.preferredSource = preferredSource
    }

    /// Whether this is a default route (no destination prefix).
    public var isDefault: Bool { destination == nil }

    /// `default via 172.18.0.1 dev ifindex 2 proto boot`, like a line of `ip route`.
    public var description: String {
        var text = destination?.description ?? "default"
        if let gateway { text += " via \(gateway)" }
        if let outputInterface { text += " dev ifindex \(outputInterface)" }
        text += " proto \(self.protocol) scope \(scope)"
        if let metric { text += " metric \(metric)" }
        if table != .main { text += " table \(table)" }
        return text
    }
}

extension Route {
    /// Builds a route from an RTM_NEWROUTE reply; nil when an address has the wrong size for its family.
    init?(_ message: RouteMessage) {
        let h = message.header
        let prefix = Int(h.destinationLength)
        var destination: IPPrefix?
        var gateway: IPAddress?
        var source: IPAddress?
        switch h.family {
        case .ipv4:
            guard prefix <= 32 else { return nil }
            if let d = message.destination {
                guard let a = IPv4Address(bytes: d) else { return nil }
                destination = .v4(IPv4Network(a, prefixLength: prefix))
            } else if prefix != 0 {
                return nil
            }
            if let g = message.gateway {
                guard let a = IPv4Address(bytes: g) else { return nil }
                gateway = .v4(a)
            }
            source = message.preferredSource.flatMap { IPv4Address(bytes: $0) }.map(IPAddress.v4)
        case .ipv6:
            guard prefix <= 128 else { return nil }
            if let d = message.destination {
                guard let a = IPv6Address(bytes: d) else { return nil }
                destination = .v6(IPv6Network(a, prefixLength: prefix))
            } else if prefix != 0 {
                return nil
            }
            if let g = message.gateway {
                guard let a = IPv6Address(bytes: g) else { return nil }
                gateway = .v6(a)
            }
            source = message.preferredSource.flatMap { IPv6Address(bytes: $0) }.map(IPAddress.v6)
        default:
            return nil
        }
        self.init(
            family: h.family, destination: destination, gateway: gateway,
            outputInterface: message.outputInterface.map(Int.init), table: message.table, protocol: h.protocol,
            scope: h.scope, type: h.type, metric: message.priority, preferredSource: source)
    }
}
