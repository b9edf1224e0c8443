/// The fixed part of every netlink message (`struct nlmsghdr`, linux/netlink.h), without `nlmsg_len`:
/// the encoder computes the length from the payload, and the decoder checks it against the buffer.
public struct NetlinkHeader: Hashable, Sendable {
    /// `nlmsg_type`: what the payload is.
    public var type: NetlinkMessageType
    /// `nlmsg_flags`.
    public var flags: NetlinkFlags
    /// `nlmsg_seq`: chosen by the requester, echoed by the kernel in every reply to that request.
    public var sequence: UInt32
    /// `nlmsg_pid`: the sending socket's port id in requests (0 lets the kernel fill it in), the
    /// requesting socket's port id in the kernel's replies.
    public var portID: UInt32

    /// Size of `struct nlmsghdr` on the wire (NLMSG_HDRLEN).
    public static let size = 16

    /// A header; `sequence` and `portID` default to 0 (the connection sets the sequence number).
    public init(type: NetlinkMessageType, flags: NetlinkFlags, sequence: UInt32 = 0, portID: UInt32 = 0) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
    }
}

/// `nlmsg_type` values of NETLINK_ROUTE: the netlink control messages and the rtnetlink requests berth uses.
public struct NetlinkMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric type.
    public let rawValue: UInt16

    /// Wraps any numeric type, including ones berth has no name for.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// NLMSG_NOOP: to be ignored.
    public static let noop = NetlinkMessageType(rawValue: 1)
    /// NLMSG_ERROR: an error, or an acknowledgement when the error code is 0.
    public static let error = NetlinkMessageType(rawValue: 2)
    /// NLMSG_DONE: the end of a multi-part (dump) reply.
    public static let done = NetlinkMessageType(rawValue: 3)
    /// NLMSG_OVERRUN: data lost (unused by the kernel today).
    public static let overrun = NetlinkMessageType(rawValue: 4)

    /// RTM_NEWLINK: create or change a link; also the type of link replies.
    public static let newLink = NetlinkMessageType(rawValue: 16)
    /// RTM_DELLINK: delete a link.
    public static let deleteLink = NetlinkMessageType(rawValue: 17)
    /// RTM_GETLINK: get one link, or dump all.
    public static let getLink = NetlinkMessageType(rawValue: 18)
    /// RTM_SETLINK: change a link (older spelling of a non-creating RTM_NEWLINK).
    public static let setLink = NetlinkMessageType(rawValue: 19)
    /// RTM_NEWADDR: add an address; also the type of address replies.
    public static let newAddress = NetlinkMessageType(rawValue: 20)
    /// RTM_DELADDR: delete an address.
    public static let deleteAddress = NetlinkMessageType(rawValue: 21)
    /// RTM_GETADDR: dump addresses.
    public static let getAddress = NetlinkMessageType(rawValue: 22)
    /// RTM_NEWROUTE: add a route; also the type of route replies.
    public static let newRoute = NetlinkMessageType(rawValue: 24)
    /// RTM_DELROUTE: delete a route.
    public static let deleteRoute = NetlinkMessageType(rawValue: 25)
    /// RTM_GETROUTE: look up a route, or dump a table.
    public static let getRoute = NetlinkMessageType(rawValue: 26)

    private static let names: [UInt16: String] = [
        1: "NLMSG_NOOP", 2: "NLMSG_ERROR", 3: "NLMSG_DONE", 4: "NLMSG_OVERRUN", 16: "RTM_NEWLINK",
        17: "RTM_DELLINK", 18: "RTM_GETLINK", 19: "RTM_SETLINK", 20: "RTM_NEWADDR", 21: "RTM_DELADDR",
        22: "RTM_GETADDR", 24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE",
    ]

    /// The kernel's name (`RTM_NEWLINK`), or the number.
    public var description: String { Self.names[rawValue] ?? "type \(rawValue)" }

    /// Whether the payload starts with `struct ifinfomsg` (RTM_*LINK).
    public var isLinkMessage: Bool { (16...19).contains(rawValue) }
    /// Whether the payload starts with `struct ifaddrmsg` (RTM_*ADDR).
    public var isAddressMessage: Bool { (20...22).contains(rawValue) }
    /// Whether the payload starts with `struct rtmsg` (RTM_*ROUTE).
    public var isRouteMessage: Bool { (24...26).contains(rawValue) }
}

/// `nlmsg_flags`. Several bits mean different things for GET, NEW and ACK messages, exactly as in
/// linux/netlink.h, so the aliases share values.
public struct NetlinkFlags: OptionSet, Hashable, Sendable {
    /// The bits.
    public let rawValue: UInt16

    /// Wraps raw bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// NLM_F_REQUEST: a request (every message user space sends).
    public static let request = NetlinkFlags(rawValue: 0x01)
    /// NLM_F_MULTI: part of a multi-part reply, ended by NLMSG_DONE.
    public static let multi = NetlinkFlags(rawValue: 0x02)
    /// NLM_F_ACK: reply with an acknowledgement (NLMSG_ERROR with code 0) on success.
    public static let ack = NetlinkFlags(rawValue: 0x04)
    /// NLM_F_ECHO: echo the resulting notification back to the requester.
    public static let echo = NetlinkFlags(rawValue: 0x08)
    /// NLM_F_DUMP_INTR: the dump was inconsistent because the table changed while it ran.
    public static let dumpInterrupted = NetlinkFlags(rawValue: 0x10)
    /// NLM_F_DUMP_FILTERED: the kernel applied the filter given in the dump request.
    public static let dumpFiltered = NetlinkFlags(rawValue: 0x20)

    // GET requests
    /// NLM_F_ROOT: return the whole table.
    public static let root = NetlinkFlags(rawValue: 0x100)
    /// NLM_F_MATCH: return all matching entries.
    public static let match = NetlinkFlags(rawValue: 0x200)
    /// NLM_F_ATOMIC: atomic GET (unused).
    public static let atomic = NetlinkFlags(rawValue: 0x400)
    /// NLM_F_DUMP (NLM_F_ROOT|NLM_F_MATCH): dump every entry, as a multi-part reply.
    public static let dump: NetlinkFlags = [.root, .match]

    // NEW requests
    /// NLM_F_REPLACE: replace an existing object.
    public static let replace = NetlinkFlags(rawValue: 0x100)
    /// NLM_F_EXCL: fail with EEXIST if the object exists.
    public static let exclusive = NetlinkFlags(rawValue: 0x200)
    /// NLM_F_CREATE: create the object if it does not exist.
    public static let create = NetlinkFlags(rawValue: 0x400)
    /// NLM_F_APPEND: add to the end of the list.
    public static let append = NetlinkFlags(rawValue: 0x800)

    // ACK (NLMSG_ERROR) messages
    /// NLM_F_CAPPED: the echoed request is only its header (payload cut off).
    public static let capped = NetlinkFlags(rawValue: 0x100)
    /// NLM_F_ACK_TLVS: extended-ack attributes (NLMSGERR_ATTR_*) follow the echoed request.
    public static let ackTLVs = NetlinkFlags(rawValue: 0x200)
}
