/// Extended-ack attribute types (`enum nlmsgerr_attrs`, NLMSGERR_ATTR_* in linux/netlink.h).
public enum ExtendedAckAttributeType: UInt16, Sendable, CaseIterable {
    /// NLMSGERR_ATTR_MSG: a human-readable message from the kernel (NUL-terminated string).
    case message = 1
    /// NLMSGERR_ATTR_OFFS: byte offset, in the echoed request, of the attribute that was rejected.
    case offset = 2
    /// NLMSGERR_ATTR_COOKIE: subsystem-specific cookie.
    case cookie = 3
    /// NLMSGERR_ATTR_POLICY: the policy of the rejected attribute (nested).
    case policy = 4
    /// NLMSGERR_ATTR_MISS_TYPE: type of a missing required attribute.
    case missingType = 5
    /// NLMSGERR_ATTR_MISS_NEST: offset of the nest where that attribute was missing.
    case missingNest = 6
}

/// The extended-ack TLVs (NETLINK_EXT_ACK) of an NLMSG_ERROR or NLMSG_DONE: why the kernel said no.
public struct ExtendedAck: Hashable, Sendable {
    /// NLMSGERR_ATTR_MSG: the kernel's own sentence (`Nexthop has invalid gateway`).
    public var message: String?
    /// NLMSGERR_ATTR_OFFS.
    public var offset: UInt32?
    /// NLMSGERR_ATTR_COOKIE.
    public var cookie: [UInt8]?
    /// NLMSGERR_ATTR_MISS_TYPE.
    public var missingType: UInt32?
    /// NLMSGERR_ATTR_MISS_NEST.
    public var missingNest: UInt32?
    /// NLMSGERR_ATTR_POLICY and anything newer, raw.
    public var other: [NetlinkAttribute]

    /// Extended-ack data.
    public init(
        message: String? = nil, offset: UInt32? = nil, cookie: [UInt8]? = nil, missingType: UInt32? = nil,
        missingNest: UInt32? = nil, other: [NetlinkAttribute] = []
    ) {
        self.message = message
        self.offset = offset
        self.cookie = cookie
        self.missingType = missingType
        self.missingNest = missingNest
        self.other = other
    }

    /// The TLVs in kernel order (message, offset, cookie, miss type, miss nest, others).
    public func rawAttributes() -> [NetlinkAttribute] {
        typealias T = ExtendedAckAttributeType
        var out: [NetlinkAttribute] = []
        if let message { out.append(.cString(T.message.rawValue, message)) }
        if let offset { out.append(.u32(T.offset.rawValue, offset)) }
        if let cookie { out.append(NetlinkAttribute(type: T.cookie.rawValue, payload: cookie)) }
        if let missingType { out.append(.u32(T.missingType.rawValue, missingType)) }
        if let missingNest { out.append(.u32(T.missingNest.rawValue, missingNest)) }
        return out + other
    }

    /// Reads the TLVs; an empty message string counts as no message.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(NetlinkWireError) -> ExtendedAck {
        typealias T = ExtendedAckAttributeType
        var ack = ExtendedAck()
        for a in try NetlinkAttribute.decodeAll(bytes, context: "extended ack") {
            switch T(rawValue: a.type) {
            case .message:
                let text = a.stringValue
                ack.message = text.isEmpty ? nil : text
            case .offset: ack.offset = try a.u32("NLMSGERR_ATTR_OFFS")
            case .cookie: ack.cookie = a.payload
            case .missingType: ack.missingType = try a.u32("NLMSGERR_ATTR_MISS_TYPE")
            case .missingNest: ack.missingNest = try a.u32("NLMSGERR_ATTR_MISS_NEST")
            case .policy, nil: ack.other.append(a)
            }
        }
        return ack
    }
}

/// NLMSG_ERROR (`struct nlmsgerr`): the outcome of a request. An error code of 0 is an acknowledgement.
///
/// Layout: `int error`, the request's `nlmsghdr`, the rest of the request unless NLM_F_CAPPED (set when
/// the socket asked for NETLINK_CAP_ACK, and always for plain ACKs), then NLMSGERR_ATTR_* TLVs if
/// NLM_F_ACK_TLVS.
public struct ErrorMessage: Hashable, Sendable {
    /// `error`: 0 for an ACK, otherwise a negative errno (`-EEXIST`).
    public var code: Int32
    /// The header of the request this answers (its `nlmsg_len` is in `requestLength`).
    public var request: NetlinkHeader
    /// The request's `nlmsg_len` as it was sent.
    public var requestLength: UInt32
    /// The request's payload as echoed; empty when capped.
    public var requestPayload: [UInt8]
    /// The extended-ack TLVs, when NLM_F_ACK_TLVS is set.
    public var extendedAck: ExtendedAck?

    /// An error (or ACK) message.
    public init(
        code: Int32, request: NetlinkHeader, requestLength: UInt32, requestPayload: [UInt8] = [],
        extendedAck: ExtendedAck? = nil
    ) {
        self.code = code
        self.request = request
        self.requestLength = requestLength
        self.requestPayload = requestPayload
        self.extendedAck = extendedAck
    }

    /// Whether this is an acknowledgement (error 0).
    public var isAcknowledgement: Bool { code == 0 }

    /// The positive errno (EEXIST = 17), or 0 for an ACK.
    public var errorNumber: Int32 { code == Int32.min ? Int32.max : -code }

    /// The NLM_F_CAPPED / NLM_F_ACK_TLVS bits the enclosing header needs for this content.
    public var impliedFlags: NetlinkFlags {
        var f: NetlinkFlags = []
        if requestPayload.isEmpty { f.insert(.capped) }
        if extendedAck != nil { f.insert(.ackTLVs) }
        return f
    }

    /// Encodes the `nlmsgerr` payload (the enclosing header must carry `impliedFlags`).
    public func encodeBody() throws(NetlinkWireError) -> [UInt8] {
        var out: [UInt8] = []
        out.appendHostOrder(code)
        out.appendHostOrder(requestLength)
        out.appendHostOrder(request.type.rawValue)
        out.appendHostOrder(request.flags.rawValue)
        out.appendHostOrder(request.sequence)
        out.appendHostOrder(request.portID)
        out += requestPayload
        out.padToAlignment()
        if let extendedAck { out += try NetlinkAttribute.encode(extendedAck.rawAttributes()) }
        return out
    }

    /// Decodes an `nlmsgerr` payload; `flags` are those of the enclosing header (they say whether the
    /// request was capped and whether TLVs follow).
    public static func decodeBody(_ bytes: ArraySlice<UInt8>, flags: NetlinkFlags) throws(NetlinkWireError)
        -> ErrorMessage
    {
        var reader = WireReader(bytes, context: "nlmsgerr")
        let code = try reader.read(Int32.self)
        let requestLength = try reader.read(UInt32.self)
        let type = try reader.read(UInt16.self)
        let requestFlags = try reader.read(UInt16.self)
        let sequence = try reader.read(UInt32.self)
        let port = try reader.read(UInt32.self)
        var payload: [UInt8] = []
        if !flags.contains(.capped) {
            guard requestLength >= UInt32(NetlinkHeader.size) else {
                throw NetlinkWireError("nlmsgerr: echoed request claims \(requestLength) bytes, less than its header")
            }
            let bodyLength = Int(requestLength) - NetlinkHeader.size
            guard bodyLength <= reader.remaining else {
                throw NetlinkWireError(
                    "nlmsgerr: echoed request claims \(requestLength) bytes, only \(reader.remaining + NetlinkHeader.size) present"
                )
            }
            payload = Array(try reader.readBytes(bodyLength))
            // Skip the echoed request's padding, tolerating its absence at the very end.
            _ = try reader.readBytes(min(netlinkAlign(bodyLength) - bodyLength, reader.remaining))
        }
        var ack: ExtendedAck?
        if flags.contains(.ackTLVs) { ack = try ExtendedAck.decode(reader.rest()) }
        return ErrorMessage(
            code: code,
            request: NetlinkHeader(
                type: NetlinkMessageType(rawValue: type), flags: NetlinkFlags(rawValue: requestFlags),
                sequence: sequence, portID: port),
            requestLength: requestLength, requestPayload: payload, extendedAck: ack)
    }
}

/// NLMSG_DONE: the end of a dump. Carries the dump's final status (0, or a negative errno when the dump
/// failed midway) and, with NLM_F_ACK_TLVS, extended-ack TLVs.
public struct DoneMessage: Hashable, Sendable {
    /// The status: 0 or a negative errno.
    public var status: Int32
    /// Extended-ack TLVs, when NLM_F_ACK_TLVS is set.
    public var extendedAck: ExtendedAck?

    /// A done message.
    public init(status: Int32 = 0, extendedAck: ExtendedAck? = nil) {
        self.status = status
        self.extendedAck = extendedAck
    }

    /// Encodes the payload (the enclosing header needs NLM_F_ACK_TLVS when `extendedAck` is set).
    public func encodeBody() throws(NetlinkWireError) -> [UInt8] {
        var out: [UInt8] = []
        out.appendHostOrder(status)
        if let extendedAck { out += try NetlinkAttribute.encode(extendedAck.rawAttributes()) }
        return out
    }

    /// Decodes the payload. An empty payload (some old kernels and other netlink families) means status 0.
    public static func decodeBody(_ bytes: ArraySlice<UInt8>, flags: NetlinkFlags) throws(NetlinkWireError)
        -> DoneMessage
    {
        if bytes.isEmpty { return DoneMessage() }
        var reader = WireReader(bytes, context: "NLMSG_DONE")
        let status = try reader.read(Int32.self)
        var ack: ExtendedAck?
        if flags.contains(.ackTLVs) { ack = try ExtendedAck.decode(reader.rest()) }
        return DoneMessage(status: status, extendedAck: ack)
    }
}
