/// The fixed header of address messages (`struct ifaddrmsg`, linux/if_addr.h), 8 bytes.
public struct AddressHeader: FixedHeader, Hashable, Sendable {
    /// `ifa_family`: AF_INET or AF_INET6 (AF_UNSPEC in a dump of both).
    public var family: AddressFamily
    /// `ifa_prefixlen`.
    public var prefixLength: UInt8
    /// `ifa_flags`: the low 8 bits of the IFA_F_* flags (the full set is in IFA_FLAGS).
    public var flags: UInt8
    /// `ifa_scope`.
    public var scope: RouteScope
    /// `ifa_index`: the interface the address is on (0 in a dump of every interface).
    public var index: UInt32

    /// sizeof(struct ifaddrmsg).
    public static let size = 8

    /// A header; everything defaults to zero.
    public init(
        family: AddressFamily = .unspecified, prefixLength: UInt8 = 0, flags: UInt8 = 0,
        scope: RouteScope = .universe, index: UInt32 = 0
    ) {
        self.family = family
        self.prefixLength = prefixLength
        self.flags = flags
        self.scope = scope
        self.index = index
    }

    func encode(into out: inout [UInt8]) {
        out.append(family.rawValue)
        out.append(prefixLength)
        out.append(flags)
        out.append(scope.rawValue)
        out.appendHostOrder(index)
    }

    static func decode(_ reader: inout WireReader) throws(NetlinkWireError) -> AddressHeader {
        let family = try reader.read(UInt8.self)
        let prefix = try reader.read(UInt8.self)
        let flags = try reader.read(UInt8.self)
        let scope = try reader.read(UInt8.self)
        let index = try reader.read(UInt32.self)
        return AddressHeader(
            family: AddressFamily(rawValue: family), prefixLength: prefix, flags: flags,
            scope: RouteScope(rawValue: scope), index: index)
    }
}

/// Address flags (`IFA_F_*`, linux/if_addr.h), as carried whole by IFA_FLAGS.
public struct AddressFlags: OptionSet, Hashable, Sendable {
    /// The bits.
    public let rawValue: UInt32
    /// Wraps raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IFA_F_SECONDARY: a second address in an already covered subnet.
    public static let secondary = AddressFlags(rawValue: 0x01)
    /// IFA_F_NODAD: skip IPv6 duplicate address detection (usable at once).
    public static let noDAD = AddressFlags(rawValue: 0x02)
    /// IFA_F_DADFAILED.
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    /// IFA_F_DEPRECATED.
    public static let deprecated = AddressFlags(rawValue: 0x20)
    /// IFA_F_TENTATIVE: IPv6 DAD still running.
    public static let tentative = AddressFlags(rawValue: 0x40)
    /// IFA_F_PERMANENT: configured, not autoconfigured.
    public static let permanent = AddressFlags(rawValue: 0x80)
    /// IFA_F_NOPREFIXROUTE: do not add the subnet route for this address.
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)
}

/// Address attribute types (`enum { IFA_* }` in linux/if_addr.h).
public enum AddressAttributeType: UInt16, Sendable, CaseIterable {
    /// IFA_ADDRESS: the prefix address (the peer on point-to-point links; otherwise equal to IFA_LOCAL).
    case address = 1
    /// IFA_LOCAL: the local address.
    case local = 2
    /// IFA_LABEL: the interface label (`eth0:1`).
    case label = 3
    /// IFA_BROADCAST.
    case broadcast = 4
    /// IFA_ANYCAST.
    case anycast = 5
    /// IFA_CACHEINFO: `struct ifa_cacheinfo` (lifetimes).
    case cacheInfo = 6
    /// IFA_MULTICAST.
    case multicast = 7
    /// IFA_FLAGS: all IFA_F_* bits (u32).
    case flags = 8
    /// IFA_RT_PRIORITY: metric of the prefix route.
    case routePriority = 9
    /// IFA_PROTO: who added the address (u8).
    case proto = 11
}

/// A typed address attribute (IFA_*). Addresses are raw network-order bytes (4 or 16).
public enum AddressAttribute: SimpleAttribute, Hashable, Sendable {
    /// IFA_ADDRESS.
    case address([UInt8])
    /// IFA_LOCAL.
    case local([UInt8])
    /// IFA_LABEL.
    case label(String)
    /// IFA_BROADCAST.
    case broadcast([UInt8])
    /// IFA_FLAGS.
    case flags(AddressFlags)
    /// IFA_RT_PRIORITY.
    case routePriority(UInt32)
    /// Anything else (IFA_CACHEINFO, IFA_PROTO…), raw.
    case other(NetlinkAttribute)

    /// The wire form.
    public func rawAttribute() -> NetlinkAttribute {
        typealias T = AddressAttributeType
        return switch self {
        case .address(let b): NetlinkAttribute(type: T.address.rawValue, payload: b)
        case .local(let b): NetlinkAttribute(type: T.local.rawValue, payload: b)
        case .label(let s): .cString(T.label.rawValue, s)
        case .broadcast(let b): NetlinkAttribute(type: T.broadcast.rawValue, payload: b)
        case .flags(let f): .u32(T.flags.rawValue, f.rawValue)
        case .routePriority(let v): .u32(T.routePriority.rawValue, v)
        case .other(let a): a
        }
    }

    /// Interprets a raw attribute; known types must have their exact size.
    public static func decode(_ a: NetlinkAttribute) throws(NetlinkWireError) -> AddressAttribute {
        switch AddressAttributeType(rawValue: a.type) {
        case .address: .address(a.payload)
        case .local: .local(a.payload)
        case .label: .label(a.stringValue)
        case .broadcast: .broadcast(a.payload)
        case .flags: .flags(AddressFlags(rawValue: try a.u32("IFA_FLAGS")))
        case .routePriority: .routePriority(try a.u32("IFA_RT_PRIORITY"))
        case .anycast, .cacheInfo, .multicast, .proto, nil: .other(a)
        }
    }
}

/// An address message (RTM_NEWADDR/DELADDR/GETADDR): `struct ifaddrmsg` followed by IFA_* attributes.
public struct AddressMessage: HeaderAndAttributes, Hashable, Sendable {
    static let headerName = "ifaddrmsg"
    static let attributesName = "address attributes"

    /// The `ifaddrmsg`.
    public var header: AddressHeader
    /// The attributes, in wire order.
    public var attributes: [AddressAttribute]

    /// An address message.
    public init(header: AddressHeader = AddressHeader(), attributes: [AddressAttribute] = []) {
        self.header = header
        self.attributes = attributes
    }

    /// The `ifaddrmsg` and the encoded attributes.
    public func encodeBody() throws(NetlinkWireError) -> [UInt8] { try encodeHeaderAndAttributes() }

    /// Decodes `ifaddrmsg` + attributes.
    public static func decodeBody(_ bytes: ArraySlice<UInt8>) throws(NetlinkWireError) -> AddressMessage {
        try decodeHeaderAndAttributes(bytes)
    }
}

extension AddressMessage {
    /// IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL (IPv6 sends only IFA_ADDRESS).
    public var localAddress: [UInt8]? {
        for case .local(let b) in attributes { return b }
        for case .address(let b) in attributes { return b }
        return nil
    }

    /// IFA_LABEL, if present.
    public var label: String? {
        for case .label(let s) in attributes { return s }
        return nil
    }

    /// IFA_BROADCAST, if present.
    public var broadcast: [UInt8]? {
        for case .broadcast(let b) in attributes { return b }
        return nil
    }

    /// IFA_FLAGS when present (it holds all bits), else the 8 bits of `ifa_flags`.
    public var flags: AddressFlags {
        for case .flags(let f) in attributes { return f }
        return AddressFlags(rawValue: UInt32(header.flags))
    }
}
