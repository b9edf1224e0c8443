/// The fixed header of link messages (`struct ifinfomsg`, linux/rtnetlink.h), 16 bytes.
public struct InterfaceInfoHeader: Hashable, Sendable {
    /// `ifi_family`: AF_UNSPEC for ordinary link requests.
    public var family: AddressFamily
    /// `ifi_type`: the hardware type (ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772…); 0 in requests.
    public var hardwareType: UInt16
    /// `ifi_index`: the interface index, or 0 to name the link by IFLA_IFNAME (or let the kernel choose one).
    public var index: Int32
    /// `ifi_flags`: IFF_* values.
    public var flags: InterfaceFlags
    /// `ifi_change`: which bits of `flags` a request changes (the mask `ip link set up` sends is IFF_UP).
    public var change: InterfaceFlags

    /// sizeof(struct ifinfomsg).
    public static let size = 16

    /// A header; everything defaults to zero, which is what creation and dump requests want.
    public init(
        family: AddressFamily = .unspecified, hardwareType: UInt16 = 0, index: Int32 = 0, flags: InterfaceFlags = [],
        change: InterfaceFlags = []
    ) {
        self.family = family
        self.hardwareType = hardwareType
        self.index = index
        self.flags = flags
        self.change = change
    }

    func encode(into out: inout [UInt8]) {
        out.append(family.rawValue)
        out.append(0)  // ifi_pad (must be 0: strict checking rejects anything else)
        out.appendHostOrder(hardwareType)
        out.appendHostOrder(index)
        out.appendHostOrder(flags.rawValue)
        out.appendHostOrder(change.rawValue)
    }

    static func decode(_ reader: inout WireReader) throws(NetlinkWireError) -> InterfaceInfoHeader {
        let family = try reader.read(UInt8.self)
        _ = try reader.read(UInt8.self)
        let type = try reader.read(UInt16.self)
        let index = try reader.read(Int32.self)
        let flags = try reader.read(UInt32.self)
        let change = try reader.read(UInt32.self)
        return InterfaceInfoHeader(
            family: AddressFamily(rawValue: family), hardwareType: type, index: index,
            flags: InterfaceFlags(rawValue: flags), change: InterfaceFlags(rawValue: change))
    }
}

/// A link message (RTM_NEWLINK/DELLINK/GETLINK/SETLINK): `struct ifinfomsg` followed by IFLA_* attributes.
public struct LinkMessage: Hashable, Sendable {
    /// The `ifinfomsg`.
    public var header: InterfaceInfoHeader
    /// The attributes, in wire order.
    public var attributes: [LinkAttribute]

    /// A link message.
    public init(header: InterfaceInfoHeader = InterfaceInfoHeader(), attributes: [LinkAttribute] = []) {
        self.header = header
        self.attributes = attributes
    }

    /// The `ifinfomsg` and the encoded attributes (the payload of an nlmsghdr, or of VETH_INFO_PEER).
    public func encodeBody() throws(NetlinkWireError) -> [UInt8] {
        var out: [UInt8] = []
        header.encode(into: &out)
        for a in attributes { try a.rawAttribute().encode(into: &out) }
        return out
    }

    /// Decodes `ifinfomsg` + attributes. `depth` counts enclosing link messages (a veth peer is depth 1),
    /// so hostile input cannot nest peers without bound.
    public static func decodeBody(_ bytes: ArraySlice<UInt8>, depth: Int = 0) throws(NetlinkWireError) -> LinkMessage {
        guard depth <= 1 else { throw NetlinkWireError("link message nested \(depth) levels deep") }
        var reader = WireReader(bytes, context: "ifinfomsg")
        let header = try InterfaceInfoHeader.decode(&reader)
        let raw = try NetlinkAttribute.decodeAll(reader.rest(), context: "link attributes")
        var attributes: [LinkAttribute] = []
        attributes.reserveCapacity(raw.count)
        for a in raw { attributes.append(try LinkAttribute.decode(a, depth: depth)) }
        return LinkMessage(header: header, attributes: attributes)
    }
}

extension LinkMessage {
    /// IFLA_IFNAME, if present.
    public var name: String? {
        for case .name(let n) in attributes { return n }
        return nil
    }

    /// IFLA_MTU, if present.
    public var mtu: UInt32? {
        for case .mtu(let m) in attributes { return m }
        return nil
    }

    /// IFLA_ADDRESS, if present.
    public var address: [UInt8]? {
        for case .address(let a) in attributes { return a }
        return nil
    }

    /// IFLA_MASTER, if present.
    public var master: UInt32? {
        for case .master(let m) in attributes { return m }
        return nil
    }

    /// IFLA_LINK, if present.
    public var link: UInt32? {
        for case .link(let l) in attributes { return l }
        return nil
    }

    /// IFLA_LINK_NETNSID, if present.
    public var linkNetnsID: Int32? {
        for case .linkNetnsID(let n) in attributes { return n }
        return nil
    }

    /// IFLA_OPERSTATE, if present.
    public var operState: OperState? {
        for case .operState(let s) in attributes { return s }
        return nil
    }

    /// IFLA_CARRIER, if present.
    public var carrier: Bool? {
        for case .carrier(let c) in attributes { return c }
        return nil
    }

    /// IFLA_LINKINFO's attributes, if present.
    public var linkInfo: [LinkInfoAttribute]? {
        for case .linkInfo(let i) in attributes { return i }
        return nil
    }

    /// IFLA_INFO_KIND inside IFLA_LINKINFO (`bridge`, `veth`…), if present.
    public var kind: String? {
        for case .kind(let k) in linkInfo ?? [] { return k }
        return nil
    }

    /// IFLA_INFO_SLAVE_KIND inside IFLA_LINKINFO (`bridge` for a bridge port), if present.
    public var slaveKind: String? {
        for case .slaveKind(let k) in linkInfo ?? [] { return k }
        return nil
    }
}
