/// One whole netlink message: the header and a typed payload.
///
/// `encode()` produces the bytes of one message with `nlmsg_len` computed; `decode(datagram:)` splits a
/// received datagram (which may hold several messages) without trusting any length it reads.
public struct NetlinkMessage: Hashable, Sendable {
    /// The `nlmsghdr` fields other than the length.
    public var header: NetlinkHeader
    /// What follows the header, interpreted by `header.type`.
    public var payload: NetlinkPayload

    /// A message.
    public init(header: NetlinkHeader, payload: NetlinkPayload) {
        self.header = header
        self.payload = payload
    }

    /// The message's bytes: `nlmsghdr` with the computed length, then the payload, padded to 4 bytes.
    public func encode() throws(NetlinkWireError) -> [UInt8] {
        let body: [UInt8] =
            switch payload {
            case .link(let m): try m.encodeBody()
            case .address(let m): try m.encodeBody()
            case .route(let m): try m.encodeBody()
            case .error(let m): try m.encodeBody()
            case .done(let m): try m.encodeBody()
            case .noop: []
            case .other(let bytes): bytes
            }
        let length = NetlinkHeader.size + body.count
        guard length <= Int(UInt32.max) else { throw NetlinkWireError("message of \(length) bytes is too long") }
        var out: [UInt8] = []
        out.reserveCapacity(netlinkAlign(length))
        out.appendHostOrder(UInt32(length))
        out.appendHostOrder(header.type.rawValue)
        out.appendHostOrder(header.flags.rawValue)
        out.appendHostOrder(header.sequence)
        out.appendHostOrder(header.portID)
        out += body
        out.padToAlignment()
        return out
    }

    /// Splits a datagram into messages and decodes each. Each `nlmsg_len` must cover the header and fit in
    /// the datagram; padding after the last message may be missing.
    public static func decode(datagram bytes: [UInt8]) throws(NetlinkWireError) -> [NetlinkMessage] {
        try decode(datagram: bytes[...])
    }

    /// As `decode(datagram:)`, over a slice.
    public static func decode(datagram bytes: ArraySlice<UInt8>) throws(NetlinkWireError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            guard bytes.endIndex - offset >= NetlinkHeader.size else {
                throw NetlinkWireError(
                    "\(bytes.endIndex - offset) bytes at offset \(offset - bytes.startIndex) are too short for an nlmsghdr"
                )
            }
            var reader = WireReader(bytes[offset..<(offset + NetlinkHeader.size)], context: "nlmsghdr")
            let length = try reader.read(UInt32.self)
            let header = NetlinkHeader(
                type: NetlinkMessageType(rawValue: try reader.read(UInt16.self)),
                flags: NetlinkFlags(rawValue: try reader.read(UInt16.self)), sequence: try reader.read(UInt32.self),
                portID: try reader.read(UInt32.self))
            guard length >= UInt32(NetlinkHeader.size) else {
                throw NetlinkWireError("nlmsghdr at offset \(offset - bytes.startIndex) has nlmsg_len \(length) < 16")
            }
            guard length <= UInt32(bytes.endIndex - offset) else {
                throw NetlinkWireError(
                    "\(header.type) at offset \(offset - bytes.startIndex) claims \(length) bytes, only \(bytes.endIndex - offset) present"
                )
            }
            let body = bytes[(offset + NetlinkHeader.size)..<(offset + Int(length))]
            messages.append(NetlinkMessage(header: header, payload: try NetlinkPayload.decode(body, header: header)))
            offset = min(offset + netlinkAlign(Int(length)), bytes.endIndex)
        }
        return messages
    }
}

/// The typed payload of a message.
public enum NetlinkPayload: Hashable, Sendable {
    /// RTM_*LINK.
    case link(LinkMessage)
    /// RTM_*ADDR.
    case address(AddressMessage)
    /// RTM_*ROUTE.
    case route(RouteMessage)
    /// NLMSG_ERROR (including ACKs).
    case error(ErrorMessage)
    /// NLMSG_DONE.
    case done(DoneMessage)
    /// NLMSG_NOOP.
    case noop
    /// Any other type, raw.
    case other([UInt8])

    static func decode(_ body: ArraySlice<UInt8>, header: NetlinkHeader) throws(NetlinkWireError) -> NetlinkPayload {
        let type = header.type
        if type == .error { return .error(try ErrorMessage.decodeBody(body, flags: header.flags)) }
        if type == .done { return .done(try DoneMessage.decodeBody(body, flags: header.flags)) }
        if type == .noop { return .noop }
        if type.isLinkMessage { return .link(try LinkMessage.decodeBody(body)) }
        if type.isAddressMessage { return .address(try AddressMessage.decodeBody(body)) }
        if type.isRouteMessage { return .route(try RouteMessage.decodeBody(body)) }
        return .other(Array(body))
    }
}

extension NetlinkMessage {
    /// A request: `payload` with NLM_F_REQUEST plus `flags`; the connection fills in the sequence number.
    public static func request(_ type: NetlinkMessageType, flags: NetlinkFlags = [], _ payload: NetlinkPayload)
        -> NetlinkMessage
    {
        NetlinkMessage(header: NetlinkHeader(type: type, flags: flags.union(.request)), payload: payload)
    }

    /// The kernel's answer to `request` (what a fake socket returns): an ACK when `errorNumber` is 0,
    /// else an NLMSG_ERROR with `-errorNumber`, the request capped to its header (NETLINK_CAP_ACK) unless
    /// `echoPayload`, and `extendedAck` as TLVs.
    public static func errorReply(
        to request: NetlinkMessage, errorNumber: Int32, portID: UInt32, extendedAck: ExtendedAck? = nil,
        echoPayload: Bool = false
    ) throws(NetlinkWireError) -> NetlinkMessage {
        let bytes = try request.encode()
        let length = bytes.prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let echoed = echoPayload && errorNumber != 0 ? Array(bytes[NetlinkHeader.size..<Int(length)]) : []
        let error = ErrorMessage(
            code: -errorNumber, request: request.header, requestLength: length, requestPayload: echoed,
            extendedAck: extendedAck)
        return NetlinkMessage(
            header: NetlinkHeader(
                type: .error, flags: error.impliedFlags, sequence: request.header.sequence, portID: portID),
            payload: .error(error))
    }
}
