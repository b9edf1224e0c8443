/// Link attribute types (`enum { IFLA_* }` in linux/if_link.h). Only the ones berth reads or writes have
/// names; others decode as `LinkAttribute.other`.
public enum LinkAttributeType: UInt16, Sendable, CaseIterable {
    /// IFLA_ADDRESS: hardware address.
    case address = 1
    /// IFLA_BROADCAST: hardware broadcast address.
    case broadcast = 2
    /// IFLA_IFNAME: interface name.
    case ifname = 3
    /// IFLA_MTU.
    case mtu = 4
    /// IFLA_LINK: the "parent" ifindex (a veth's peer, possibly in another namespace).
    case link = 5
    /// IFLA_MASTER: ifindex of the bridge (or bond) this link is enslaved to; 0 to release it.
    case master = 10
    /// IFLA_TXQLEN.
    case txQueueLength = 13
    /// IFLA_OPERSTATE: RFC 2863 operational state (u8).
    case operState = 16
    /// IFLA_LINKMODE (u8).
    case linkMode = 17
    /// IFLA_LINKINFO: nested IFLA_INFO_* (kind and kind-specific data).
    case linkInfo = 18
    /// IFLA_NET_NS_PID: move or create into the network namespace of this process.
    case netNsPID = 19
    /// IFLA_IFALIAS.
    case alias = 20
    /// IFLA_NET_NS_FD: move or create into the network namespace open on this descriptor.
    case netNsFD = 28
    /// IFLA_EXT_MASK: RTEXT_FILTER_* bits asking the kernel to include (or skip) optional data.
    case extMask = 29
    /// IFLA_CARRIER (u8).
    case carrier = 33
    /// IFLA_LINK_NETNSID: the namespace id (as seen from this namespace) where IFLA_LINK lives.
    case linkNetnsID = 37
    /// IFLA_MIN_MTU.
    case minMTU = 50
    /// IFLA_MAX_MTU.
    case maxMTU = 51
    /// IFLA_PERM_ADDRESS.
    case permanentAddress = 54
}

/// RTEXT_FILTER_* bits for IFLA_EXT_MASK (linux/rtnetlink.h).
public enum ExtendedFilter {
    /// RTEXT_FILTER_VF: include SR-IOV virtual functions.
    public static let virtualFunctions: UInt32 = 1 << 0
    /// RTEXT_FILTER_SKIP_STATS: leave out IFLA_STATS/IFLA_STATS64, which make link dumps several times larger.
    public static let skipStats: UInt32 = 1 << 3
}

/// A typed link attribute (IFLA_*).
public enum LinkAttribute: Hashable, Sendable {
    /// IFLA_ADDRESS: the hardware (MAC) address.
    case address([UInt8])
    /// IFLA_BROADCAST: the hardware broadcast address.
    case broadcast([UInt8])
    /// IFLA_IFNAME: the interface name (sent NUL-terminated).
    case name(String)
    /// IFLA_MTU.
    case mtu(UInt32)
    /// IFLA_LINK: the peer or lower device's ifindex.
    case link(UInt32)
    /// IFLA_MASTER: the master's ifindex (0 = no master).
    case master(UInt32)
    /// IFLA_TXQLEN.
    case txQueueLength(UInt32)
    /// IFLA_OPERSTATE.
    case operState(OperState)
    /// IFLA_LINKMODE.
    case linkMode(UInt8)
    /// IFLA_LINKINFO: kind and kind-specific data.
    case linkInfo([LinkInfoAttribute])
    /// IFLA_NET_NS_PID.
    case netNsPID(UInt32)
    /// IFLA_NET_NS_FD: a descriptor of `/proc/…/ns/net` or a bind mount of one.
    case netNsFD(Int32)
    /// IFLA_IFALIAS.
    case alias(String)
    /// IFLA_EXT_MASK: RTEXT_FILTER_* bits (see `ExtendedFilter`).
    case extMask(UInt32)
    /// IFLA_CARRIER.
    case carrier(Bool)
    /// IFLA_LINK_NETNSID.
    case linkNetnsID(Int32)
    /// IFLA_MIN_MTU.
    case minMTU(UInt32)
    /// IFLA_MAX_MTU.
    case maxMTU(UInt32)
    /// IFLA_PERM_ADDRESS.
    case permanentAddress([UInt8])
    /// Any attribute berth does not interpret, kept raw.
    case other(NetlinkAttribute)

    /// The wire form.
    public func rawAttribute() throws(NetlinkWireError) -> NetlinkAttribute {
        typealias T = LinkAttributeType
        return switch self {
        case .address(let b): NetlinkAttribute(type: T.address.rawValue, payload: b)
        case .broadcast(let b): NetlinkAttribute(type: T.broadcast.rawValue, payload: b)
        case .name(let s): .cString(T.ifname.rawValue, s)
        case .mtu(let v): .u32(T.mtu.rawValue, v)
        case .link(let v): .u32(T.link.rawValue, v)
        case .master(let v): .u32(T.master.rawValue, v)
        case .txQueueLength(let v): .u32(T.txQueueLength.rawValue, v)
        case .operState(let s): .u8(T.operState.rawValue, s.rawValue)
        case .linkMode(let v): .u8(T.linkMode.rawValue, v)
        case .linkInfo(let children):
            try .nested(T.linkInfo.rawValue, children.map { a throws(NetlinkWireError) in try a.rawAttribute() })
        case .netNsPID(let v): .u32(T.netNsPID.rawValue, v)
        case .netNsFD(let v): .s32(T.netNsFD.rawValue, v)
        case .alias(let s): .cString(T.alias.rawValue, s)
        case .extMask(let v): .u32(T.extMask.rawValue, v)
        case .carrier(let v): .u8(T.carrier.rawValue, v ? 1 : 0)
        case .linkNetnsID(let v): .s32(T.linkNetnsID.rawValue, v)
        case .minMTU(let v): .u32(T.minMTU.rawValue, v)
        case .maxMTU(let v): .u32(T.maxMTU.rawValue, v)
        case .permanentAddress(let b): NetlinkAttribute(type: T.permanentAddress.rawValue, payload: b)
        case .other(let a): a
        }
    }

    /// Interprets a raw attribute; known types must have their exact size.
    public static func decode(_ a: NetlinkAttribute, depth: Int = 0) throws(NetlinkWireError) -> LinkAttribute {
        guard let type = LinkAttributeType(rawValue: a.type) else { return .other(a) }
        switch type {
        case .address: return .address(a.payload)
        case .broadcast: return .broadcast(a.payload)
        case .ifname: return .name(a.stringValue)
        case .mtu: return .mtu(try a.u32("IFLA_MTU"))
        case .link: return .link(try a.u32("IFLA_LINK"))
        case .master: return .master(try a.u32("IFLA_MASTER"))
        case .txQueueLength: return .txQueueLength(try a.u32("IFLA_TXQLEN"))
        case .operState: return .operState(OperState(rawValue: try a.u8("IFLA_OPERSTATE")) ?? .unknown)
        case .linkMode: return .linkMode(try a.u8("IFLA_LINKMODE"))
        case .linkInfo: return .linkInfo(try LinkInfoAttribute.decodeAll(a.children("IFLA_LINKINFO"), depth: depth))
        case .netNsPID: return .netNsPID(try a.u32("IFLA_NET_NS_PID"))
        case .netNsFD: return .netNsFD(try a.s32("IFLA_NET_NS_FD"))
        case .alias: return .alias(a.stringValue)
        case .extMask: return .extMask(try a.u32("IFLA_EXT_MASK"))
        case .carrier: return .carrier(try a.u8("IFLA_CARRIER") != 0)
        case .linkNetnsID: return .linkNetnsID(try a.s32("IFLA_LINK_NETNSID"))
        case .minMTU: return .minMTU(try a.u32("IFLA_MIN_MTU"))
        case .maxMTU: return .maxMTU(try a.u32("IFLA_MAX_MTU"))
        case .permanentAddress: return .permanentAddress(a.payload)
        }
    }
}
