/// Attribute types inside IFLA_LINKINFO (`enum { IFLA_INFO_* }` in linux/if_link.h).
public enum LinkInfoAttributeType: UInt16, Sendable, CaseIterable {
    /// IFLA_INFO_KIND: the driver name (`bridge`, `veth`).
    case kind = 1
    /// IFLA_INFO_DATA: nested, kind-specific attributes.
    case data = 2
    /// IFLA_INFO_XSTATS.
    case extendedStats = 3
    /// IFLA_INFO_SLAVE_KIND: the master's kind, on an enslaved link.
    case slaveKind = 4
    /// IFLA_INFO_SLAVE_DATA.
    case slaveData = 5
}

/// A typed attribute inside IFLA_LINKINFO.
public enum LinkInfoAttribute: Hashable, Sendable {
    /// IFLA_INFO_KIND (sent without a NUL, as iproute2 does; the policy is NLA_STRING).
    case kind(String)
    /// IFLA_INFO_DATA, interpreted according to the sibling IFLA_INFO_KIND.
    case data(LinkInfoData)
    /// IFLA_INFO_SLAVE_KIND.
    case slaveKind(String)
    /// IFLA_INFO_XSTATS, IFLA_INFO_SLAVE_DATA and anything newer, kept raw.
    case other(NetlinkAttribute)

    /// The wire form.
    public func rawAttribute() throws(NetlinkWireError) -> NetlinkAttribute {
        typealias T = LinkInfoAttributeType
        switch self {
        case .kind(let k): return .string(T.kind.rawValue, k)
        case .slaveKind(let k): return .string(T.slaveKind.rawValue, k)
        case .other(let a): return a
        case .data(let d):
            switch d {
            case .veth(let attrs):
                return try .nested(T.data.rawValue, attrs.map { a throws(NetlinkWireError) in try a.rawAttribute() })
            case .bridge(let attrs):
                return try .nested(T.data.rawValue, attrs.map { a throws(NetlinkWireError) in a.rawAttribute() })
            case .raw(let bytes):
                return NetlinkAttribute(type: T.data.rawValue, payload: bytes, isNested: true)
            }
        }
    }

    /// Decodes the children of IFLA_LINKINFO. IFLA_INFO_DATA is interpreted only for kinds berth knows
    /// (`veth`, `bridge`); for others its bytes are kept unparsed.
    public static func decodeAll(_ raw: [NetlinkAttribute], depth: Int) throws(NetlinkWireError)
        -> [LinkInfoAttribute]
    {
        typealias T = LinkInfoAttributeType
        // The kernel puts KIND before DATA, but nothing requires it: find the kind first.
        let kind = raw.first { $0.type == T.kind.rawValue }?.stringValue
        var result: [LinkInfoAttribute] = []
        for a in raw {
            switch T(rawValue: a.type) {
            case .kind: result.append(.kind(a.stringValue))
            case .slaveKind: result.append(.slaveKind(a.stringValue))
            case .data:
                switch kind {
                case "veth":
                    var attrs: [VethAttribute] = []
                    for child in try a.children("IFLA_INFO_DATA (veth)") {
                        attrs.append(try VethAttribute.decode(child, depth: depth))
                    }
                    result.append(.data(.veth(attrs)))
                case "bridge":
                    var attrs: [BridgeAttribute] = []
                    for child in try a.children("IFLA_INFO_DATA (bridge)") {
                        attrs.append(try BridgeAttribute.decode(child))
                    }
                    result.append(.data(.bridge(attrs)))
                default:
                    result.append(.data(.raw(a.payload)))
                }
            case .extendedStats, .slaveData, nil:
                result.append(.other(a))
            }
        }
        return result
    }
}

/// The content of IFLA_INFO_DATA for a given kind.
public enum LinkInfoData: Hashable, Sendable {
    /// Kind `veth`.
    case veth([VethAttribute])
    /// Kind `bridge`.
    case bridge([BridgeAttribute])
    /// Another kind: the nested attributes, unparsed.
    case raw([UInt8])
}

/// Attributes inside a veth's IFLA_INFO_DATA (linux/veth.h).
public enum VethAttribute: Hashable, Sendable {
    /// VETH_INFO_PEER: not a plain nest but a whole `struct ifinfomsg` followed by the peer's IFLA_*
    /// attributes (name, MTU, IFLA_NET_NS_FD to create the peer directly in another namespace).
    case peer(LinkMessage)
    /// Anything else, raw.
    case other(NetlinkAttribute)

    /// VETH_INFO_PEER.
    public static let peerType: UInt16 = 1

    /// The wire form. The peer is encoded without NLA_F_NESTED: its payload starts with a struct, so it is
    /// not a sequence of attributes (the kernel's veth policy types it as a minimum-length blob).
    public func rawAttribute() throws(NetlinkWireError) -> NetlinkAttribute {
        switch self {
        case .peer(let message): NetlinkAttribute(type: VethAttribute.peerType, payload: try message.encodeBody())
        case .other(let a): a
        }
    }

    /// Interprets a raw attribute.
    public static func decode(_ a: NetlinkAttribute, depth: Int) throws(NetlinkWireError) -> VethAttribute {
        if a.type == peerType { return .peer(try LinkMessage.decodeBody(a.payload[...], depth: depth + 1)) }
        return .other(a)
    }
}

/// Bridge attribute types inside IFLA_INFO_DATA (`enum { IFLA_BR_* }` in linux/if_link.h); the few berth sets.
public enum BridgeAttributeType: UInt16, Sendable, CaseIterable {
    /// IFLA_BR_FORWARD_DELAY (u32, centiseconds).
    case forwardDelay = 1
    /// IFLA_BR_HELLO_TIME (u32, centiseconds).
    case helloTime = 2
    /// IFLA_BR_MAX_AGE (u32, centiseconds).
    case maxAge = 3
    /// IFLA_BR_AGEING_TIME (u32, centiseconds).
    case ageingTime = 4
    /// IFLA_BR_STP_STATE (u32: 0 off, 1 on).
    case stpState = 5
    /// IFLA_BR_PRIORITY (u16).
    case priority = 6
    /// IFLA_BR_VLAN_FILTERING (u8).
    case vlanFiltering = 7
    /// IFLA_BR_MCAST_SNOOPING (u8).
    case multicastSnooping = 23
}

/// A typed bridge attribute (IFLA_BR_*).
public enum BridgeAttribute: Hashable, Sendable {
    /// IFLA_BR_FORWARD_DELAY: centiseconds a port spends listening and learning under STP.
    case forwardDelay(UInt32)
    /// IFLA_BR_HELLO_TIME.
    case helloTime(UInt32)
    /// IFLA_BR_MAX_AGE.
    case maxAge(UInt32)
    /// IFLA_BR_AGEING_TIME: centiseconds before an idle FDB entry expires.
    case ageingTime(UInt32)
    /// IFLA_BR_STP_STATE: whether the bridge runs the spanning tree protocol.
    case stpState(UInt32)
    /// IFLA_BR_PRIORITY.
    case priority(UInt16)
    /// IFLA_BR_VLAN_FILTERING.
    case vlanFiltering(Bool)
    /// IFLA_BR_MCAST_SNOOPING.
    case multicastSnooping(Bool)
    /// Any other IFLA_BR_* (the kernel reports about fifty), raw.
    case other(NetlinkAttribute)

    /// The wire form.
    public func rawAttribute() -> NetlinkAttribute {
        typealias T = BridgeAttributeType
        return switch self {
        case .forwardDelay(let v): .u32(T.forwardDelay.rawValue, v)
        case .helloTime(let v): .u32(T.helloTime.rawValue, v)
        case .maxAge(let v): .u32(T.maxAge.rawValue, v)
        case .ageingTime(let v): .u32(T.ageingTime.rawValue, v)
        case .stpState(let v): .u32(T.stpState.rawValue, v)
        case .priority(let v): .u16(T.priority.rawValue, v)
        case .vlanFiltering(let v): .u8(T.vlanFiltering.rawValue, v ? 1 : 0)
        case .multicastSnooping(let v): .u8(T.multicastSnooping.rawValue, v ? 1 : 0)
        case .other(let a): a
        }
    }

    /// Interprets a raw attribute; known types must have their exact size.
    public static func decode(_ a: NetlinkAttribute) throws(NetlinkWireError) -> BridgeAttribute {
        switch BridgeAttributeType(rawValue: a.type) {
        case .forwardDelay: .forwardDelay(try a.u32("IFLA_BR_FORWARD_DELAY"))
        case .helloTime: .helloTime(try a.u32("IFLA_BR_HELLO_TIME"))
        case .maxAge: .maxAge(try a.u32("IFLA_BR_MAX_AGE"))
        case .ageingTime: .ageingTime(try a.u32("IFLA_BR_AGEING_TIME"))
        case .stpState: .stpState(try a.u32("IFLA_BR_STP_STATE"))
        case .priority: .priority(try a.u16("IFLA_BR_PRIORITY"))
        case .vlanFiltering: .vlanFiltering(try a.u8("IFLA_BR_VLAN_FILTERING") != 0)
        case .multicastSnooping: .multicastSnooping(try a.u8("IFLA_BR_MCAST_SNOOPING") != 0)
        case nil: .other(a)
        }
    }
}
