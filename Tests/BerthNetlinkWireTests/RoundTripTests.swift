import BerthNetlinkWire
import Testing

/// Every kind of message berth sends or receives decodes back to itself.
@Suite("netlink round trips") struct RoundTripTests {
    static let samples: [NetlinkMessage] = [
        NetlinkMessage(
            header: NetlinkHeader(type: .newLink, flags: [.request, .ack, .create, .exclusive], sequence: 1),
            payload: .link(
                LinkMessage(attributes: [
                    .name("br-0123456789a"), .mtu(1450), .address([0x02, 0x42, 0xac, 0x12, 0, 1]),
                    .linkInfo([
                        .kind("bridge"),
                        .data(
                            .bridge([.forwardDelay(0), .stpState(0), .vlanFiltering(false), .multicastSnooping(true)])),
                    ]),
                ]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .newLink, flags: [.request, .ack, .create, .exclusive], sequence: 2),
            payload: .link(
                LinkMessage(attributes: [
                    .name("veth1a2b3c4"), .mtu(1500),
                    .linkInfo([
                        .kind("veth"),
                        .data(.veth([.peer(LinkMessage(attributes: [.name("eth0"), .mtu(1500), .netNsFD(9)]))])),
                    ]),
                ]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .newLink, flags: .multi, sequence: 3, portID: 4242),
            payload: .link(
                LinkMessage(
                    header: InterfaceInfoHeader(
                        hardwareType: 1, index: 7, flags: [.up, .broadcast, .multicast, .lowerUp, .running]),
                    attributes: [
                        .name("veth9"), .operState(.up), .carrier(true), .master(3), .link(2), .linkNetnsID(0),
                        .txQueueLength(1000), .linkMode(0), .minMTU(68), .maxMTU(65535),
                        .linkInfo([.kind("veth"), .slaveKind("bridge")]), .alias("container eth0"),
                        .other(NetlinkAttribute(type: 26, payload: [4, 0, 0, 0], isNested: true)),
                    ]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .newLink, flags: .request, sequence: 4),
            payload: .link(
                LinkMessage(
                    header: InterfaceInfoHeader(index: 9, flags: .up, change: .up),
                    attributes: [.netNsPID(1234), .extMask(9)]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .newAddress, flags: [.request, .ack, .create, .exclusive], sequence: 5),
            payload: .address(
                AddressMessage(
                    header: AddressHeader(family: .ipv6, prefixLength: 64, flags: 2, scope: .universe, index: 4),
                    attributes: [
                        .local([0xfd] + Array(repeating: 0, count: 14) + [1]),
                        .address([0xfd] + Array(repeating: 0, count: 14) + [1]), .flags([.noDAD, .permanent]),
                        .label("eth0"), .routePriority(10),
                    ]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .newRoute, flags: [.request, .ack, .create, .exclusive], sequence: 6),
            payload: .route(
                RouteMessage(
                    header: RouteHeader(family: .ipv4, table: 254, protocol: .boot, scope: .universe, type: .unicast),
                    attributes: [
                        .gateway([172, 18, 0, 1]), .outputInterface(2), .priority(100), .table(254), .mark(7),
                        .preferredSource([172, 18, 0, 2]), .inputInterface(1), .source([10, 0, 0, 0]),
                    ]))),
        NetlinkMessage(
            header: NetlinkHeader(type: .done, flags: [.multi, .ackTLVs], sequence: 7),
            payload: .done(DoneMessage(status: -22, extendedAck: ExtendedAck(message: "Invalid header")))),
        NetlinkMessage(header: NetlinkHeader(type: .noop, flags: [], sequence: 8), payload: .noop),
        NetlinkMessage(
            header: NetlinkHeader(type: NetlinkMessageType(rawValue: 0x40), flags: []), payload: .other([1, 2, 3, 4])),
    ]

    @Test(arguments: samples) func decodesToItself(_ message: NetlinkMessage) throws {
        let bytes = try message.encode()
        #expect(bytes.count % 4 == 0)
        // nlmsg_len counts the header and payload, never more than what was written.
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        #expect(length <= bytes.count && length > bytes.count - 4)
        #expect(try NetlinkMessage.decode(datagram: bytes) == [message])
    }

    @Test func severalMessagesInOneDatagram() throws {
        var datagram: [UInt8] = []
        for m in Self.samples { datagram += try m.encode() }
        #expect(try NetlinkMessage.decode(datagram: datagram) == Self.samples)
    }

    /// A reply built for a request (what a fake kernel answers) carries the request's sequence number and
    /// decodes to the errno and message it was given.
    @Test func errorReplyForRequest() throws {
        let request = Self.samples[0]
        let reply = try NetlinkMessage.errorReply(
            to: request, errorNumber: 17, portID: 99, extendedAck: ExtendedAck(message: "exists"))
        let decoded = try #require(try NetlinkMessage.decode(datagram: reply.encode()).first)
        #expect(decoded == reply)
        #expect(decoded.header.sequence == request.header.sequence)
        #expect(decoded.header.flags == [.capped, .ackTLVs])
        guard case .error(let e) = decoded.payload else { return }
        #expect(e.errorNumber == 17)
        #expect(e.requestLength == UInt32(try request.encode().count))

        let echoed = try NetlinkMessage.errorReply(to: request, errorNumber: 1, portID: 99, echoPayload: true)
        #expect(try NetlinkMessage.decode(datagram: echoed.encode()) == [echoed])
        guard case .error(let full) = echoed.payload else { return }
        #expect(try LinkMessage.decodeBody(full.requestPayload[...]).name == "br-0123456789a")
    }

    /// Nested attribute lengths are computed by the encoder at every level.
    @Test func nestedLengthsAreComputed() throws {
        let inner = NetlinkAttribute.u32(1, 5)
        let middle = try NetlinkAttribute.nested(2, [inner, .cString(3, "ab")])
        let outer = try NetlinkAttribute.nested(4, [middle])
        var bytes: [UInt8] = []
        try outer.encode(into: &bytes)
        // outer 4 + middle(4 + u32 attr 8 + string attr "ab\0" 7 padded to 8) = 24
        #expect(bytes.count == 24)
        #expect(bytes[0] == 24 && bytes[3] == 0x80)
        #expect(bytes[4] == 20 && bytes[7] == 0x80)
        #expect(try NetlinkAttribute.decodeAll(bytes[...], context: "test") == [outer])
    }

    @Test func oversizedAttributeIsRefusedNotTruncated() {
        let huge = NetlinkAttribute(type: 1, payload: Array(repeating: 0, count: 70000))
        var out: [UInt8] = []
        #expect(throws: NetlinkWireError.self) { try huge.encode(into: &out) }
        let badType = NetlinkAttribute(type: 0x4001, payload: [])
        #expect(throws: NetlinkWireError.self) { try badType.encode(into: &out) }
    }
}
