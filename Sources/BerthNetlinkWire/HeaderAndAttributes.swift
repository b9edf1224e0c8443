/// A fixed-size rtnetlink header (`ifaddrmsg`, `rtmsg`).
protocol FixedHeader {
    func encode(into out: inout [UInt8])
    static func decode(_ reader: inout WireReader) throws(NetlinkWireError) -> Self
}

/// A flat attribute type whose values encode and decode on their own (no nesting context).
protocol SimpleAttribute {
    func rawAttribute() -> NetlinkAttribute
    static func decode(_ a: NetlinkAttribute) throws(NetlinkWireError) -> Self
}

/// The common shape of address and route messages: a fixed header followed by attributes.
/// (Link messages differ: their attributes nest a peer message, so they decode with a depth.)
protocol HeaderAndAttributes {
    associatedtype Header: FixedHeader
    associatedtype Attribute: SimpleAttribute
    static var headerName: String { get }
    static var attributesName: String { get }
    var header: Header { get }
    var attributes: [Attribute] { get }
    init(header: Header, attributes: [Attribute])
}

extension HeaderAndAttributes {
    /// The header and the encoded attributes.
    func encodeHeaderAndAttributes() throws(NetlinkWireError) -> [UInt8] {
        var out: [UInt8] = []
        header.encode(into: &out)
        for a in attributes { try a.rawAttribute().encode(into: &out) }
        return out
    }

    /// Decodes the header and the attributes after it.
    static func decodeHeaderAndAttributes(_ bytes: ArraySlice<UInt8>) throws(NetlinkWireError) -> Self {
        var reader = WireReader(bytes, context: headerName)
        let header = try Header.decode(&reader)
        var attributes: [Attribute] = []
        for a in try NetlinkAttribute.decodeAll(reader.rest(), context: attributesName) {
            attributes.append(try Attribute.decode(a))
        }
        return Self(header: header, attributes: attributes)
    }
}
