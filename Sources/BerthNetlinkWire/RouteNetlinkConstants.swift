// Small value types for the fixed fields of rtnetlink headers. Each is an open set (a RawRepresentable
// struct, not a closed enum) because the kernel may report values berth has no name for.

/// Address family of a message (`AF_*`, sys/socket.h).
public struct AddressFamily: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric family.
    public let rawValue: UInt8
    /// Wraps a family number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// AF_UNSPEC: any family (link messages, dumps of every family).
    public static let unspecified = AddressFamily(rawValue: 0)
    /// AF_INET.
    public static let ipv4 = AddressFamily(rawValue: 2)
    /// AF_BRIDGE: bridge port and FDB messages.
    public static let bridge = AddressFamily(rawValue: 7)
    /// AF_INET6.
    public static let ipv6 = AddressFamily(rawValue: 10)

    /// `inet`, `inet6`, … as iproute2 prints them.
    public var description: String {
        switch rawValue {
        case 0: "unspec"
        case 2: "inet"
        case 7: "bridge"
        case 10: "inet6"
        default: "family \(rawValue)"
        }
    }
}

/// Interface flags (`ifi_flags`, `IFF_*` in linux/if.h).
public struct InterfaceFlags: OptionSet, Hashable, Sendable {
    /// The bits.
    public let rawValue: UInt32
    /// Wraps raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IFF_UP: administratively up (`ip link set up`).
    public static let up = InterfaceFlags(rawValue: 0x1)
    /// IFF_BROADCAST.
    public static let broadcast = InterfaceFlags(rawValue: 0x2)
    /// IFF_LOOPBACK.
    public static let loopback = InterfaceFlags(rawValue: 0x8)
    /// IFF_POINTOPOINT.
    public static let pointToPoint = InterfaceFlags(rawValue: 0x10)
    /// IFF_RUNNING: operationally up (RFC 2863 "up").
    public static let running = InterfaceFlags(rawValue: 0x40)
    /// IFF_NOARP.
    public static let noARP = InterfaceFlags(rawValue: 0x80)
    /// IFF_PROMISC.
    public static let promiscuous = InterfaceFlags(rawValue: 0x100)
    /// IFF_MULTICAST.
    public static let multicast = InterfaceFlags(rawValue: 0x1000)
    /// IFF_LOWER_UP: the driver signals carrier (`ip link` prints NO-CARRIER when up without it).
    public static let lowerUp = InterfaceFlags(rawValue: 0x10000)
    /// IFF_DORMANT.
    public static let dormant = InterfaceFlags(rawValue: 0x20000)
}

/// RFC 2863 operational state (IFLA_OPERSTATE, `IF_OPER_*` in linux/if.h).
public enum OperState: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// IF_OPER_UNKNOWN (e.g. `lo`, which has no carrier notion).
    case unknown = 0
    /// IF_OPER_NOTPRESENT.
    case notPresent = 1
    /// IF_OPER_DOWN.
    case down = 2
    /// IF_OPER_LOWERLAYERDOWN (e.g. a veth whose peer is down).
    case lowerLayerDown = 3
    /// IF_OPER_TESTING.
    case testing = 4
    /// IF_OPER_DORMANT.
    case dormant = 5
    /// IF_OPER_UP.
    case up = 6

    /// `UP`, `DOWN`, `LOWERLAYERDOWN`… as `ip link` prints them.
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .notPresent: "NOTPRESENT"
        case .down: "DOWN"
        case .lowerLayerDown: "LOWERLAYERDOWN"
        case .testing: "TESTING"
        case .dormant: "DORMANT"
        case .up: "UP"
        }
    }
}

/// Route and address scope (`rtm_scope`, `ifa_scope`, `RT_SCOPE_*` in linux/rtnetlink.h).
public struct RouteScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric scope.
    public let rawValue: UInt8
    /// Wraps a scope number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RT_SCOPE_UNIVERSE: global (routes via a gateway, ordinary addresses).
    public static let universe = RouteScope(rawValue: 0)
    /// RT_SCOPE_SITE.
    public static let site = RouteScope(rawValue: 200)
    /// RT_SCOPE_LINK: directly attached (`ip route add 10.0.0.0/24 dev x`, IPv6 link-local addresses).
    public static let link = RouteScope(rawValue: 253)
    /// RT_SCOPE_HOST: on this host only (127.0.0.1).
    public static let host = RouteScope(rawValue: 254)
    /// RT_SCOPE_NOWHERE: no destination; in a delete request, "any scope".
    public static let nowhere = RouteScope(rawValue: 255)

    /// `global`, `link`, `host`… as iproute2 prints them.
    public var description: String {
        switch rawValue {
        case 0: "global"
        case 200: "site"
        case 253: "link"
        case 254: "host"
        case 255: "nowhere"
        default: "\(rawValue)"
        }
    }
}

/// Who installed a route (`rtm_protocol`, `RTPROT_*`).
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric protocol.
    public let rawValue: UInt8
    /// Wraps a protocol number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RTPROT_UNSPEC.
    public static let unspecified = RouteProtocol(rawValue: 0)
    /// RTPROT_REDIRECT.
    public static let redirect = RouteProtocol(rawValue: 1)
    /// RTPROT_KERNEL: made by the kernel for a connected subnet when an address is added.
    public static let kernel = RouteProtocol(rawValue: 2)
    /// RTPROT_BOOT: what `ip route add` uses by default.
    public static let boot = RouteProtocol(rawValue: 3)
    /// RTPROT_STATIC: installed by an administrator (`ip route add … proto static`).
    public static let `static` = RouteProtocol(rawValue: 4)
    /// RTPROT_DHCP.
    public static let dhcp = RouteProtocol(rawValue: 16)

    /// `kernel`, `boot`, `static`… as iproute2 prints them.
    public var description: String {
        switch rawValue {
        case 0: "unspec"
        case 1: "redirect"
        case 2: "kernel"
        case 3: "boot"
        case 4: "static"
        case 16: "dhcp"
        default: "\(rawValue)"
        }
    }
}

/// Route type (`rtm_type`, `RTN_*`).
public struct RouteType: RawRepresentable, Hashable, Sendable {
    /// The numeric type.
    public let rawValue: UInt8
    /// Wraps a type number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RTN_UNSPEC.
    public static let unspecified = RouteType(rawValue: 0)
    /// RTN_UNICAST: an ordinary route to a gateway or a directly attached network.
    public static let unicast = RouteType(rawValue: 1)
    /// RTN_LOCAL: an address of this host (local table).
    public static let local = RouteType(rawValue: 2)
    /// RTN_BROADCAST.
    public static let broadcast = RouteType(rawValue: 3)
    /// RTN_ANYCAST.
    public static let anycast = RouteType(rawValue: 4)
    /// RTN_MULTICAST.
    public static let multicast = RouteType(rawValue: 5)
    /// RTN_BLACKHOLE.
    public static let blackhole = RouteType(rawValue: 6)
    /// RTN_UNREACHABLE.
    public static let unreachable = RouteType(rawValue: 7)
    /// RTN_PROHIBIT.
    public static let prohibit = RouteType(rawValue: 8)
}

/// Routing table id (`rtm_table` for ids below 256, RTA_TABLE for all; `RT_TABLE_*`).
public struct RouteTable: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric table id.
    public let rawValue: UInt32
    /// Wraps a table id.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// RT_TABLE_UNSPEC: in a dump request, every table.
    public static let unspecified = RouteTable(rawValue: 0)
    /// RT_TABLE_DEFAULT.
    public static let `default` = RouteTable(rawValue: 253)
    /// RT_TABLE_MAIN: where `ip route` reads and writes.
    public static let main = RouteTable(rawValue: 254)
    /// RT_TABLE_LOCAL: the kernel's local and broadcast addresses.
    public static let local = RouteTable(rawValue: 255)

    /// `main`, `local`, `default`, or the number.
    public var description: String {
        switch rawValue {
        case 253: "default"
        case 254: "main"
        case 255: "local"
        default: "\(rawValue)"
        }
    }
}
