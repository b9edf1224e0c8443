/// One netlink attribute (`struct nlattr` / `struct rtattr`, TLV) in raw form: a type and a payload.
///
/// The typed attribute enums (`LinkAttribute`, `AddressAttribute`, …) turn into and out of this form; the
/// encoder here is the only place that computes `nla_len`, nesting and NLA_ALIGN padding.
public struct NetlinkAttribute: Hashable, Sendable {
    /// The attribute type (IFLA_*, IFA_*, RTA_*…), without the flag bits.
    public var type: UInt16
    /// NLA_F_NESTED: the payload is itself a sequence of attributes. Set on nests berth encodes, because
    /// strictly validated kernel policies reject a nest without it (and lenient ones ignore it).
    public var isNested: Bool
    /// NLA_F_NET_BYTEORDER: the payload integer is big-endian.
    public var isNetworkByteOrder: Bool
    /// The value bytes, without header or padding.
    public var payload: [UInt8]

    /// NLA_HDRLEN: the size of `struct nlattr`.
    public static let headerSize = 4
    /// NLA_F_NESTED in `nla_type`.
    public static let nestedFlag: UInt16 = 0x8000
    /// NLA_F_NET_BYTEORDER in `nla_type`.
    public static let networkByteOrderFlag: UInt16 = 0x4000
    /// NLA_TYPE_MASK: the bits of `nla_type` that are the type.
    public static let typeMask: UInt16 = 0x3fff

    /// A raw attribute.
    public init(type: UInt16, payload: [UInt8], isNested: Bool = false, isNetworkByteOrder: Bool = false) {
        self.type = type
        self.payload = payload
        self.isNested = isNested
        self.isNetworkByteOrder = isNetworkByteOrder
    }

    /// A nest: the children are encoded (with their own lengths and padding) into the payload, and
    /// NLA_F_NESTED is set.
    public static func nested(_ type: UInt16, _ children: [NetlinkAttribute]) throws(NetlinkWireError)
        -> NetlinkAttribute
    {
        var payload: [UInt8] = []
        for child in children { try child.encode(into: &payload) }
        return NetlinkAttribute(type: type, payload: payload, isNested: true)
    }

    /// An 8-bit value.
    public static func u8(_ type: UInt16, _ value: UInt8) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: [value])
    }

    /// A 16-bit value in host byte order.
    public static func u16(_ type: UInt16, _ value: UInt16) -> NetlinkAttribute {
        var p: [UInt8] = []
        p.appendHostOrder(value)
        return NetlinkAttribute(type: type, payload: p)
    }

    /// A 32-bit value in host byte order.
    public static func u32(_ type: UInt16, _ value: UInt32) -> NetlinkAttribute {
        var p: [UInt8] = []
        p.appendHostOrder(value)
        return NetlinkAttribute(type: type, payload: p)
    }

    /// A signed 32-bit value in host byte order.
    public static func s32(_ type: UInt16, _ value: Int32) -> NetlinkAttribute {
        var p: [UInt8] = []
        p.appendHostOrder(value)
        return NetlinkAttribute(type: type, payload: p)
    }

    /// A NUL-terminated string (NLA_NUL_STRING, and what iproute2 sends for IFLA_IFNAME).
    public static func cString(_ type: UInt16, _ value: String) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: Array(value.utf8) + [0])
    }

    /// A string without terminator (NLA_STRING as iproute2 sends IFLA_INFO_KIND).
    public static func string(_ type: UInt16, _ value: String) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: Array(value.utf8))
    }

    /// Appends `nla_len`, `nla_type` (with flags), the payload, and padding to the next 4-byte boundary.
    /// `nla_len` counts header and payload but not the trailing padding, as the kernel's nla_put does.
    public func encode(into out: inout [UInt8]) throws(NetlinkWireError) {
        let length = NetlinkAttribute.headerSize + payload.count
        guard length <= Int(UInt16.max) else {
            throw NetlinkWireError("attribute \(type): \(payload.count) payload bytes do not fit nla_len (max 65531)")
        }
        guard type <= NetlinkAttribute.typeMask else {
            throw NetlinkWireError("attribute type \(type) does not fit the 14 bits of nla_type")
        }
        var rawType = type
        if isNested { rawType |= NetlinkAttribute.nestedFlag }
        if isNetworkByteOrder { rawType |= NetlinkAttribute.networkByteOrderFlag }
        out.appendHostOrder(UInt16(length))
        out.appendHostOrder(rawType)
        out.append(contentsOf: payload)
        out.padToAlignment()
    }

    /// Encodes a list of attributes back to back.
    public static func encode(_ attributes: [NetlinkAttribute]) throws(NetlinkWireError) -> [UInt8] {
        var out: [UInt8] = []
        for a in attributes { try a.encode(into: &out) }
        return out
    }

    /// Splits a buffer into attributes without trusting any length: each `nla_len` must cover at least the
    /// header and fit in what is left. The last attribute may omit its padding. Up to 3 trailing zero bytes
    /// (padding) are accepted; any other leftover is an error.
    public static func decodeAll(_ bytes: ArraySlice<UInt8>, context: String) throws(NetlinkWireError)
        -> [NetlinkAttribute]
    {
        var result: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= headerSize {
            let length = Int(try decodeInteger(bytes[offset..<(offset + 2)], as: UInt16.self, context: context))
            let rawType = try decodeInteger(bytes[(offset + 2)..<(offset + 4)], as: UInt16.self, context: context)
            guard length >= headerSize else {
                throw NetlinkWireError(
                    "\(context): attribute at offset \(offset - bytes.startIndex) has nla_len \(length) < 4")
            }
            guard length <= bytes.endIndex - offset else {
                throw NetlinkWireError(
                    "\(context): attribute \(rawType & typeMask) at offset \(offset - bytes.startIndex) claims \(length) bytes, only \(bytes.endIndex - offset) left"
                )
            }
            result.append(
                NetlinkAttribute(
                    type: rawType & typeMask, payload: Array(bytes[(offset + headerSize)..<(offset + length)]),
                    isNested: rawType & nestedFlag != 0, isNetworkByteOrder: rawType & networkByteOrderFlag != 0))
            // The padding after the last attribute may be missing; never step past the end.
            offset = min(offset + netlinkAlign(length), bytes.endIndex)
        }
        if offset < bytes.endIndex && bytes[offset...].contains(where: { $0 != 0 }) {
            throw NetlinkWireError("\(context): \(bytes.endIndex - offset) stray bytes after the last attribute")
        }
        return result
    }

    // MARK: typed reads of the payload, each checking the exact size

    /// The payload as an 8-bit value; `name` (the C name) is used in the error.
    public func u8(_ name: String) throws(NetlinkWireError) -> UInt8 {
        try decodeInteger(payload[...], as: UInt8.self, context: name)
    }

    /// The payload as a 16-bit host-order value.
    public func u16(_ name: String) throws(NetlinkWireError) -> UInt16 {
        try decodeInteger(payload[...], as: UInt16.self, context: name)
    }

    /// The payload as a 32-bit host-order value.
    public func u32(_ name: String) throws(NetlinkWireError) -> UInt32 {
        try decodeInteger(payload[...], as: UInt32.self, context: name)
    }

    /// The payload as a signed 32-bit host-order value.
    public func s32(_ name: String) throws(NetlinkWireError) -> Int32 {
        try decodeInteger(payload[...], as: Int32.self, context: name)
    }

    /// The payload as a string up to its first NUL.
    public var stringValue: String { decodeCString(payload[...]) }

    /// The payload parsed as nested attributes.
    public func children(_ name: String) throws(NetlinkWireError) -> [NetlinkAttribute] {
        try NetlinkAttribute.decodeAll(payload[...], context: name)
    }
}
