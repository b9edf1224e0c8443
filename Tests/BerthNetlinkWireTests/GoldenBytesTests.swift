import BerthNetlinkWire
import Testing

/// The exact bytes berth puts on the wire, checked against what iproute2 6.1 sends for the same command
/// (captured with `strace -xx`), and kernel replies decoded from their exact bytes.
@Suite("netlink golden bytes") struct GoldenBytesTests {
    // MARK: requests

    /// `ip link add br0 type bridge`.
    @Test func bridgeCreateMatchesIproute2() throws {
        let message = NetlinkMessage(
            header: NetlinkHeader(
                type: .newLink, flags: [.request, .ack, .exclusive, .create], sequence: 0x6b03_7e52),
            payload: .link(LinkMessage(attributes: [.name("br0"), .linkInfo([.kind("bridge")])])))
        let expected = hex(
            """
            38 00 00 00   // nlmsg_len 56 (computed by the encoder)
            10 00         // RTM_NEWLINK
            05 06         // NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE
            52 7e 03 6b   // nlmsg_seq
            00 00 00 00   // nlmsg_pid 0
            00 00 00 00   // ifinfomsg: family AF_UNSPEC, pad, type 0
            00 00 00 00   //   ifi_index 0: the kernel picks one
            00 00 00 00   //   ifi_flags
            00 00 00 00   //   ifi_change
            08 00 03 00   // IFLA_IFNAME, len 8
            62 72 30 00   //   "br0\\0"
            10 00 12 80   // IFLA_LINKINFO|NLA_F_NESTED, len 16 (iproute2 sends 12 00: no NESTED bit)
            0a 00 01 00   //   IFLA_INFO_KIND, len 10
            62 72 69 64   //     "bridge" (no NUL, as iproute2 sends it)
            67 65 00 00   //     + 2 bytes NLA_ALIGN padding
            """)
        let bytes = try message.encode()
        #expect(bytes == expected, "got:\n\(dump(bytes))")

        // iproute2's own bytes (no NLA_F_NESTED) decode to the very same typed message.
        var iproute2 = expected
        iproute2[45] = 0x00
        #expect(try NetlinkMessage.decode(datagram: iproute2) == [message])
    }

    /// `ip link add veth1 type veth peer name eth0 netns NS`: the peer is a whole ifinfomsg with its own
    /// attributes inside VETH_INFO_PEER, including the namespace descriptor (4 here).
    @Test func vethWithPeerInNamespaceMatchesIproute2() throws {
        let peer = LinkMessage(attributes: [.netNsFD(4), .name("eth0")])
        let message = NetlinkMessage(
            header: NetlinkHeader(type: .newLink, flags: [.request, .ack, .exclusive, .create], sequence: 7),
            payload: .link(
                LinkMessage(attributes: [
                    .name("veth1"), .linkInfo([.kind("veth"), .data(.veth([.peer(peer)]))]),
                ])))
        let expected = hex(
            """
            64 00 00 00  10 00  05 06  07 00 00 00  00 00 00 00   // nlmsghdr: 100 bytes, RTM_NEWLINK, create|excl
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00    // ifinfomsg (all zero)
            0a 00 03 00  76 65 74 68 31 00 00 00                  // IFLA_IFNAME "veth1\\0" + 2 pad
            38 00 12 80                                           // IFLA_LINKINFO|NESTED, len 56
            08 00 01 00  76 65 74 68                              //   IFLA_INFO_KIND "veth"
            2c 00 02 80                                           //   IFLA_INFO_DATA|NESTED, len 44
            28 00 01 00                                           //     VETH_INFO_PEER, len 40 (not a pure nest)
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00    //       peer ifinfomsg
            08 00 1c 00  04 00 00 00                              //       IFLA_NET_NS_FD 4
            09 00 03 00  65 74 68 30 00 00 00 00                  //       IFLA_IFNAME "eth0\\0" + 3 pad
            """)
        let bytes = try message.encode()
        #expect(bytes == expected, "got:\n\(dump(bytes))")
        #expect(try NetlinkMessage.decode(datagram: bytes) == [message])
    }

    /// `ip addr add 10.1.2.3/24 brd + dev lo` (lo is index 1) — byte for byte what iproute2 sends.
    @Test func addAddressMatchesIproute2() throws {
        let message = NetlinkMessage(
            header: NetlinkHeader(type: .newAddress, flags: [.request, .ack, .exclusive, .create], sequence: 1),
            payload: .address(
                AddressMessage(
                    header: AddressHeader(family: .ipv4, prefixLength: 24, index: 1),
                    attributes: [.local([10, 1, 2, 3]), .address([10, 1, 2, 3]), .broadcast([10, 1, 2, 255])])))
        let expected = hex(
            """
            30 00 00 00  14 00  05 06  01 00 00 00  00 00 00 00   // nlmsghdr: 48 bytes, RTM_NEWADDR
            02 18 00 00  01 00 00 00                              // ifaddrmsg: AF_INET, /24, flags 0, scope 0, index 1
            08 00 02 00  0a 01 02 03                              // IFA_LOCAL 10.1.2.3 (network order)
            08 00 01 00  0a 01 02 03                              // IFA_ADDRESS 10.1.2.3
            08 00 04 00  0a 01 02 ff                              // IFA_BROADCAST 10.1.2.255
            """)
        let bytes = try message.encode()
        #expect(bytes == expected, "got:\n\(dump(bytes))")
        #expect(try NetlinkMessage.decode(datagram: bytes) == [message])
    }

    /// `ip route add 10.0.0.0/8 dev lo` — byte for byte what iproute2 sends.
    @Test func addRouteMatchesIproute2() throws {
        let message = NetlinkMessage(
            header: NetlinkHeader(type: .newRoute, flags: [.request, .ack, .exclusive, .create], sequence: 2),
            payload: .route(
                RouteMessage(
                    header: RouteHeader(
                        family: .ipv4, destinationLength: 8, table: 254, protocol: .boot, scope: .link,
                        type: .unicast),
                    attributes: [.destination([10, 0, 0, 0]), .outputInterface(1)])))
        let expected = hex(
            """
            2c 00 00 00  18 00  05 06  02 00 00 00  00 00 00 00   // nlmsghdr: 44 bytes, RTM_NEWROUTE
            02 08 00 00                                           // rtmsg: AF_INET, dst_len 8, src_len 0, tos 0
            fe 03 fd 01                                           //   table main, proto boot, scope link, unicast
            00 00 00 00                                           //   rtm_flags
            08 00 01 00  0a 00 00 00                              // RTA_DST 10.0.0.0
            08 00 04 00  01 00 00 00                              // RTA_OIF 1
            """)
        let bytes = try message.encode()
        #expect(bytes == expected, "got:\n\(dump(bytes))")
    }

    // MARK: replies

    /// The kernel's refusal of `ip route add default via 10.9.9.9` in an empty namespace, as iproute2
    /// received it (not capped: the whole request is echoed), with the extended-ack message.
    @Test func errorWithExtendedAckFromKernel() throws {
        let reply = hex(
            """
            58 00 00 00  02 00  00 02  a8 7d 03 6b  3e 27 00 00   // nlmsghdr: 88 bytes, NLMSG_ERROR, NLM_F_ACK_TLVS, pid 10046
            9b ff ff ff                                           // error -101 (-ENETUNREACH)
            24 00 00 00  18 00  05 06  a8 7d 03 6b  00 00 00 00   // echoed request header: 36 bytes, RTM_NEWROUTE
            02 00 00 00  fe 03 00 01  00 00 00 00                 // echoed rtmsg
            08 00 05 00  0a 09 09 09                              // echoed RTA_GATEWAY 10.9.9.9
            20 00 01 00                                           // NLMSGERR_ATTR_MSG, len 32
            4e 65 78 74 68 6f 70 20 68 61 73 20 69 6e 76 61       //   "Nexthop has inva"
            6c 69 64 20 67 61 74 65 77 61 79 00                   //   "lid gateway\\0"
            """)
        let messages = try NetlinkMessage.decode(datagram: reply)
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.header.sequence == 0x6b03_7da8)
        #expect(message.header.portID == 10046)
        guard case .error(let error) = message.payload else {
            Issue.record("expected NLMSG_ERROR, got \(message.payload)")
            return
        }
        #expect(error.errorNumber == 101)
        #expect(!error.isAcknowledgement)
        #expect(error.request.type == .newRoute)
        #expect(error.request.sequence == message.header.sequence)
        #expect(error.requestLength == 36)
        #expect(error.extendedAck?.message == "Nexthop has invalid gateway")
        // The echoed request decodes as the route it was.
        let echoed = try RouteMessage.decodeBody(error.requestPayload[...])
        #expect(echoed.gateway == [10, 9, 9, 9])
        #expect(echoed.table == .main)
    }

    /// An EACCES refusal with NETLINK_CAP_ACK (request capped to its header) carrying the message text and
    /// the offset of the rejected attribute.
    @Test func cappedErrorWithMessageAndOffset() throws {
        let reply = hex(
            """
            44 00 00 00  02 00  00 03  09 00 00 00  e8 03 00 00   // nlmsghdr: 68 bytes, NLMSG_ERROR, CAPPED|ACK_TLVS, pid 1000
            f3 ff ff ff                                           // error -13 (-EACCES)
            38 00 00 00  10 00  05 06  09 00 00 00  00 00 00 00   // request header only (its nlmsg_len says 56)
            16 00 01 00                                           // NLMSGERR_ATTR_MSG, len 22
            50 65 72 6d 69 73 73 69 6f 6e 20 64 65 6e 69 65       //   "Permission denie"
            64 00 00 00                                           //   "d\\0" + 2 pad
            08 00 02 00  20 00 00 00                              // NLMSGERR_ATTR_OFFS 32
            """)
        let message = try #require(try NetlinkMessage.decode(datagram: reply).first)
        guard case .error(let error) = message.payload else {
            Issue.record("expected NLMSG_ERROR")
            return
        }
        #expect(error.errorNumber == 13)
        #expect(error.requestLength == 56)
        #expect(error.requestPayload.isEmpty)
        #expect(error.request.type == .newLink)
        #expect(error.extendedAck == ExtendedAck(message: "Permission denied", offset: 32))
        // The encoder reproduces the reply exactly (flags implied by the content).
        let rebuilt = NetlinkMessage(
            header: NetlinkHeader(type: .error, flags: error.impliedFlags, sequence: 9, portID: 1000),
            payload: .error(error))
        #expect(try rebuilt.encode() == reply)
    }

    /// A plain acknowledgement: error 0, always capped.
    @Test func acknowledgement() throws {
        let reply = hex(
            """
            24 00 00 00  02 00  00 01  05 00 00 00  e8 03 00 00   // NLMSG_ERROR, NLM_F_CAPPED
            00 00 00 00                                           // error 0: success
            20 00 00 00  10 00  05 00  05 00 00 00  00 00 00 00   // the request's header
            """)
        let message = try #require(try NetlinkMessage.decode(datagram: reply).first)
        guard case .error(let error) = message.payload else {
            Issue.record("expected NLMSG_ERROR")
            return
        }
        #expect(error.isAcknowledgement)
        #expect(error.extendedAck == nil)
    }

    /// One datagram of a dump: two link messages, then NLMSG_DONE flagged NLM_F_DUMP_INTR.
    @Test func multipartDumpDatagram() throws {
        let datagram = hex(
            """
            28 00 00 00  10 00  02 00  11 00 00 00  e8 03 00 00   // RTM_NEWLINK, NLM_F_MULTI, 40 bytes
            00 00 04 03  01 00 00 00  49 00 01 00  00 00 00 00    // ifinfomsg: loopback (772), index 1, UP|LOOPBACK|RUNNING|LOWER_UP
            07 00 03 00  6c 6f 00 00                              // IFLA_IFNAME "lo\\0" + pad
            30 00 00 00  10 00  02 00  11 00 00 00  e8 03 00 00   // RTM_NEWLINK, NLM_F_MULTI, 48 bytes
            00 00 01 00  02 00 00 00  03 10 00 00  00 00 00 00    // ifinfomsg: ether, index 2, UP|BROADCAST|MULTICAST
            08 00 03 00  62 72 30 00                              // IFLA_IFNAME "br0\\0"
            08 00 04 00  dc 05 00 00                              // IFLA_MTU 1500
            14 00 00 00  03 00  12 00  11 00 00 00  e8 03 00 00   // NLMSG_DONE, NLM_F_MULTI|NLM_F_DUMP_INTR
            00 00 00 00                                           // status 0
            """)
        let messages = try NetlinkMessage.decode(datagram: datagram)
        #expect(messages.count == 3)
        guard messages.count == 3, case .link(let lo) = messages[0].payload, case .link(let br) = messages[1].payload
        else { return }
        #expect(lo.name == "lo")
        #expect(lo.header.flags.contains([.up, .loopback, .lowerUp]))
        #expect(lo.header.hardwareType == 772)
        #expect(br.name == "br0")
        #expect(br.mtu == 1500)
        #expect(br.header.flags.contains(.up) && !br.header.flags.contains(.lowerUp))
        #expect(messages[2].header.type == .done)
        #expect(messages[2].header.flags.contains(.dumpInterrupted))
    }

    /// A bridge as the kernel reports it: IFLA_INFO_DATA is decoded by kind, known IFLA_BR_* typed,
    /// the other fifty kept raw.
    @Test func bridgeLinkInfoIsDecodedByKind() throws {
        let body = hex(
            """
            00 00 01 00  05 00 00 00  03 10 00 00  00 00 00 00    // ifinfomsg: index 5
            08 00 03 00  62 72 31 00                              // IFLA_IFNAME "br1"
            30 00 12 00                                           // IFLA_LINKINFO (no NESTED bit, as the kernel sends), 48
            0b 00 01 00  62 72 69 64 67 65 00 00                  //   IFLA_INFO_KIND "bridge\\0" + 1 pad
            20 00 02 00                                           //   IFLA_INFO_DATA, 32
            08 00 05 00  00 00 00 00                              //     IFLA_BR_STP_STATE 0
            08 00 01 00  dc 05 00 00                              //     IFLA_BR_FORWARD_DELAY 1500
            0c 00 10 00  01 02 03 04 05 06 07 08                  //     IFLA_BR_HELLO_TIMER (u64), kept raw
            """)
        let link = try LinkMessage.decodeBody(body[...])
        #expect(link.kind == "bridge")
        #expect(
            link.linkInfo == [
                .kind("bridge"),
                .data(
                    .bridge([
                        .stpState(0), .forwardDelay(1500),
                        .other(NetlinkAttribute(type: 16, payload: [1, 2, 3, 4, 5, 6, 7, 8])),
                    ])),
            ])
    }
}
