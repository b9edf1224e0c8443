import BerthAddressing

/// A link type (IFLA_INFO_KIND): an open set of driver names.
public struct LinkKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The kernel's driver name.
    public let rawValue: String
    /// Wraps a driver name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A driver-name literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// A Linux bridge.
    public static let bridge = LinkKind(rawValue: "bridge")
    /// One end of a virtual Ethernet pair.
    public static let veth = LinkKind(rawValue: "veth")
    /// A dummy interface.
    public static let dummy = LinkKind(rawValue: "dummy")
    /// A VXLAN tunnel.
    public static let vxlan = LinkKind(rawValue: "vxlan")
    /// A macvlan interface.
    public static let macvlan = LinkKind(rawValue: "macvlan")

    /// The driver name.
    public var description: String { rawValue }
}

/// A network interface as `ip -d link show` describes it.
public struct Link: Hashable, Sendable, CustomStringConvertible {
    /// The interface index.
    public var index: Int
    /// The interface name.
    public var name: String
    /// The driver (IFLA_INFO_KIND); nil for physical devices and `lo`.
    public var kind: LinkKind?
    /// IFLA_MTU.
    public var mtu: Int
    /// The hardware address, when it is a 6-byte Ethernet address.
    public var mac: MACAddress?
    /// IFF_* flags: `.up` (administratively up), `.lowerUp` (carrier), …
    public var flags: InterfaceFlags
    /// RFC 2863 operational state (`state UP` / `DOWN` / `LOWERLAYERDOWN` in `ip link`).
    public var operState: OperState
    /// IFLA_MASTER: the index of the bridge this link is a port of.
    public var masterIndex: Int?
    /// IFLA_LINK: the index of the peer or lower device — for a veth, its peer's index, which may be in
    /// another namespace (`linkNetnsID` then says which). This is the N of `veth1234@ifN`.
    public var parentIndex: Int?
    /// IFLA_LINK_NETNSID: the id, in this namespace's table, of the namespace `parentIndex` lives in.
    public var linkNetnsID: Int?
    /// IFLA_INFO_SLAVE_KIND: `bridge` when this link is a bridge port.
    public var slaveKind: LinkKind?

    /// A link.
    public init(
        index: Int, name: String, kind: LinkKind? = nil, mtu: Int, mac: MACAddress? = nil, flags: InterfaceFlags = [],
        operState: OperState = .unknown, masterIndex: Int? = nil, parentIndex: Int? = nil, linkNetnsID: Int? = nil,
        slaveKind: LinkKind? = nil
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.mac = mac
        self.flags = flags
        self.operState = operState
        self.masterIndex = masterIndex
        self.parentIndex = parentIndex
        self.linkNetnsID = linkNetnsID
        self.slaveKind = slaveKind
    }

    /// Administratively up (`ip link set up`).
    public var isUp: Bool { flags.contains(.up) }
    /// Has carrier (IFF_LOWER_UP). An up link without it is what `ip link` prints as NO-CARRIER.
    public var hasCarrier: Bool { flags.contains(.lowerUp) }
    /// This link as a request target.
    public var id: LinkID { .index(index) }

    /// `name@ifN` as `ip link` prints a link with a peer or lower device, else the name.
    public var displayName: String {
        if let parentIndex { return "\(name)@if\(parentIndex)" }
        return name
    }

    /// `3: br0: <UP,LOWER_UP> mtu 1500 state UP`, roughly one line of `ip link`.
    public var description: String {
        var flagNames: [String] = []
        if flags.contains(.up) && !flags.contains(.lowerUp) && !flags.contains(.loopback) {
            flagNames.append("NO-CARRIER")
        }
        if flags.contains(.up) { flagNames.append("UP") }
        if flags.contains(.lowerUp) { flagNames.append("LOWER_UP") }
        var text = "\(index): \(displayName): <\(flagNames.joined(separator: ","))> mtu \(mtu)"
        if let masterIndex { text += " master if\(masterIndex)" }
        text += " state \(operState)"
        if let kind { text += " type \(kind)" }
        return text
    }
}

extension Link {
    /// Builds a `Link` from an RTM_NEWLINK reply; nil when it lacks a name (never the case for the kernel's).
    init?(_ message: LinkMessage) {
        guard let name = message.name, message.header.index > 0 else { return nil }
        let parent = message.link.map(Int.init)
        self.init(
            index: Int(message.header.index), name: name, kind: message.kind.map(LinkKind.init(rawValue:)),
            mtu: Int(message.mtu ?? 0), mac: message.address.flatMap { MACAddress(bytes: $0) },
            flags: message.header.flags, operState: message.operState ?? .unknown,
            masterIndex: message.master.flatMap { $0 == 0 ? nil : Int($0) },
            // The kernel reports IFLA_LINK only when it differs from the link itself; 0 means none.
            parentIndex: parent == 0 ? nil : parent, linkNetnsID: message.linkNetnsID.map(Int.init),
            slaveKind: message.slaveKind.map(LinkKind.init(rawValue:)))
    }
}

/// Settings for `createBridge`.
public struct BridgeOptions: Hashable, Sendable {
    /// IFLA_BR_STP_STATE. Off (sent explicitly, not left to the kernel default) so a port forwards the moment
    /// it has carrier and the bridge gets carrier with it, instead of after STP's listening and learning
    /// delays; container bridges have no loops for STP to break.
    public var spanningTree: Bool
    /// IFLA_BR_FORWARD_DELAY in centiseconds; nil keeps the kernel's default. Only matters with STP on.
    public var forwardDelay: UInt32?
    /// IFLA_BR_VLAN_FILTERING; nil keeps the kernel's default (off).
    public var vlanFiltering: Bool?
    /// IFLA_BR_MCAST_SNOOPING; nil keeps the kernel's default (on).
    public var multicastSnooping: Bool?

    /// Options; the defaults are what berth's networks use.
    public init(
        spanningTree: Bool = false, forwardDelay: UInt32? = nil, vlanFiltering: Bool? = nil,
        multicastSnooping: Bool? = nil
    ) {
        self.spanningTree = spanningTree
        self.forwardDelay = forwardDelay
        self.vlanFiltering = vlanFiltering
        self.multicastSnooping = multicastSnooping
    }

    var attributes: [BridgeAttribute] {
        var out: [BridgeAttribute] = []
        if let forwardDelay { out.append(.forwardDelay(forwardDelay)) }
        out.append(.stpState(spanningTree ? 1 : 0))
        if let vlanFiltering { out.append(.vlanFiltering(vlanFiltering)) }
        if let multicastSnooping { out.append(.multicastSnooping(multicastSnooping)) }
        return out
    }
}
