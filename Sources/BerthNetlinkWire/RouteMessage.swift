/// The fixed header of route messages (`struct rtmsg`, linux/rtnetlink.h), 12 bytes.
public struct RouteHeader: FixedHeader, Hashable, Sendable {
    /// `rtm_family`.
    public var family: AddressFamily
    /// `rtm_dst_len`: prefix length of the destination (0 for the default route).
    public var destinationLength: UInt8
    /// `rtm_src_len`.
    public var sourceLength: UInt8
    /// `rtm_tos`.
    public var tos: UInt8
    /// `rtm_table`: the table id if below 256, else RT_TABLE_UNSPEC with the id in RTA_TABLE.
    public var table: UInt8
    /// `rtm_protocol`.
    public var `protocol`: RouteProtocol
    /// `rtm_scope`.
    public var scope: RouteScope
    /// `rtm_type`.
    public var type: RouteType
    /// `rtm_flags`: RTM_F_* bits.
    public var flags: UInt32

    /// sizeof(struct rtmsg).
    public static let size = 12
    /// RTM_F_CLONED: a cached (exception) route, not a table entry.
    public static let clonedFlag: UInt32 = 0x200

    /// A header; everything defaults to zero.
    public init(
        family: AddressFamily = .unspecified, destinationLength: UInt8 = 0, sourceLength: UInt8 = 0, tos: UInt8 = 0,
        table: UInt8 = 0, protocol: RouteProtocol = .unspecified, scope: RouteScope = .universe,
        type: RouteType = .unspecified, flags: UInt32 = 0
    ) {
        self.family = family
        self.destinationLength = destinationLength
        self.sourceLength = sourceLength
        self.tos = tos
        self.table = table
        self.protocol = `protocol`
        self.scope = scope
        self.type = type
        self.flags = flags
    }

    func encode(into out: inout [UInt8]) {
        out += [
            family.rawValue, destinationLength, sourceLength, tos, table, `protocol`.rawValue, scope.rawValue,
            type.rawValue,
        ]
        out.appendHostOrder(flags)
    }

    static func decode(_ reader: inout WireReader) throws(NetlinkWireError) -> RouteHeader {
        let b = Array(try reader.readBytes(8))
        let flags = try reader.read(UInt32.self)
        return RouteHeader(
            family: AddressFamily(rawValue: b[0]), destinationLength: b[1], sourceLength: b[2], tos: b[3], table: b[4],
            protocol: RouteProtocol(rawValue: b[5]), scope: RouteScope(rawValue: b[6]), type: RouteType(rawValue: b[7]),
            flags: flags)
    }
}

/// Route attribute types (`enum rtattr_type_t`, RTA_* in linux/rtnetlink.h).
public enum RouteAttributeType: UInt16, Sendable, CaseIterable {
    /// RTA_DST: destination prefix address.
    case destination = 1
    /// RTA_SRC: source prefix address (policy routing).
    case source = 2
    /// RTA_IIF: input interface index.
    case inputInterface = 3
    /// RTA_OIF: output interface index.
    case outputInterface = 4
    /// RTA_GATEWAY: next-hop address.
    case gateway = 5
    /// RTA_PRIORITY: the metric.
    case priority = 6
    /// RTA_PREFSRC: preferred source address.
    case preferredSource = 7
    /// RTA_METRICS: nested RTAX_* (MTU, window…).
    case metrics = 8
    /// RTA_MULTIPATH.
    case multipath = 9
    /// RTA_TABLE: the full 32-bit table id.
    case table = 15
    /// RTA_MARK.
    case mark = 16
    /// RTA_PREF: IPv6 router preference (u8).
    case preference = 20
}

/// A typed route attribute (RTA_*). Addresses are raw network-order bytes (4 or 16).
public enum RouteAttribute: SimpleAttribute, Hashable, Sendable {
    /// RTA_DST.
    case destination([UInt8])
    /// RTA_SRC.
    case source([UInt8])
    /// RTA_IIF.
    case inputInterface(UInt32)
    /// RTA_OIF.
    case outputInterface(UInt32)
    /// RTA_GATEWAY.
    case gateway([UInt8])
    /// RTA_PRIORITY.
    case priority(UInt32)
    /// RTA_PREFSRC.
    case preferredSource([UInt8])
    /// RTA_TABLE.
    case table(UInt32)
    /// RTA_MARK.
    case mark(UInt32)
    /// Anything else (RTA_METRICS, RTA_CACHEINFO, RTA_PREF…), raw.
    case other(NetlinkAttribute)

    /// The wire form.
    public func rawAttribute() -> NetlinkAttribute {
        typealias T = RouteAttributeType
        return switch self {
        case .destination(let b): NetlinkAttribute(type: T.destination.rawValue, payload: b)
        case .source(let b): NetlinkAttribute(type: T.source.rawValue, payload: b)
        case .inputInterface(let v): .u32(T.inputInterface.rawValue, v)
        case .outputInterface(let v): .u32(T.outputInterface.rawValue, v)
        case .gateway(let b): NetlinkAttribute(type: T.gateway.rawValue, payload: b)
        case .priority(let v): .u32(T.priority.rawValue, v)
        case .preferredSource(let b): NetlinkAttribute(type: T.preferredSource.rawValue, payload: b)
        case .table(let v): .u32(T.table.rawValue, v)
        case .mark(let v): .u32(T.mark.rawValue, v)
        case .other(let a): a
        }
    }

    /// Interprets a raw attribute; known types must have their exact size.
    public static func decode(_ a: NetlinkAttribute) throws(NetlinkWireError) -> RouteAttribute {
        switch RouteAttributeType(rawValue: a.type) {
        case .destination: .destination(a.payload)
        case .source: .source(a.payload)
        case .inputInterface: .inputInterface(try a.u32("RTA_IIF"))
        case .outputInterface: .outputInterface(try a.u32("RTA_OIF"))
        case .gateway: .gateway(a.payload)
        case .priority: .priority(try a.u32("RTA_PRIORITY"))
        case .preferredSource: .preferredSource(a.payload)
        case .table: .table(try a.u32("RTA_TABLE"))
        case .mark: .mark(try a.u32("RTA_MARK"))
        case .metrics, .multipath, .preference, nil: .other(a)
        }
    }
}

/// A route message (RTM_NEWROUTE/DELROUTE/GETROUTE): `struct rtmsg` followed by RTA_* attributes.
public struct RouteMessage: HeaderAndAttributes, Hashable, Sendable {
    static let headerName = "rtmsg"
    static let attributesName = "route attributes"

    /// The `rtmsg`.
    public var header: RouteHeader
    /// The attributes, in wire order.
    public var attributes: [RouteAttribute]

    /// A route message.
    public init(header: RouteHeader = RouteHeader(), attributes: [RouteAttribute] = []) {
        self.header = header
        self.attributes = attributes
    }

    /// The `rtmsg` and the encoded attributes.
    public func encodeBody() throws(NetlinkWireError) -> [UInt8] { try encodeHeaderAndAttributes() }

    /// Decodes `rtmsg` + attributes.
    public static func decodeBody(_ bytes: ArraySlice<UInt8>) throws(NetlinkWireError) -> RouteMessage {
        try decodeHeaderAndAttributes(bytes)
    }
}

extension RouteMessage {
    /// RTA_DST, if present (absent for a default route).
    public var destination: [UInt8]? {
        for case .destination(let b) in attributes { return b }
        return nil
    }

    /// RTA_GATEWAY, if present.
    public var gateway: [UInt8]? {
        for case .gateway(let b) in attributes { return b }
        return nil
    }

    /// RTA_OIF, if present.
    public var outputInterface: UInt32? {
        for case .outputInterface(let i) in attributes { return i }
        return nil
    }

    /// RTA_PRIORITY, if present.
    public var priority: UInt32? {
        for case .priority(let p) in attributes { return p }
        return nil
    }

    /// RTA_PREFSRC, if present.
    public var preferredSource: [UInt8]? {
        for case .preferredSource(let b) in attributes { return b }
        return nil
    }

    /// RTA_TABLE when present (it holds the full id), else `rtm_table`.
    public var table: RouteTable {
        for case .table(let t) in attributes { return RouteTable(rawValue: t) }
        return RouteTable(rawValue: UInt32(header.table))
    }
}
