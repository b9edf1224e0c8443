import BerthAddressing
import BerthDNSWire
import Testing

/// The quick path must say exactly what the general one (decode, decide, encode) says, for every
/// query it answers, and it must actually answer the plain queries containers make.
@Suite struct DNSQuickReplyTests {
    static func name(_ s: String) -> DNSName { (try? DNSName(s)) ?? .root }

    static let view = DNSView(
        askerNetworks: ["mynet", "second"],
        records: [
            DNSEndpointRecord(
                network: "mynet", names: [name("db"), name("database"), name("0123456789ab")],
                address: IPv4Address(172, 18, 0, 2)),
            DNSEndpointRecord(network: "other", names: [name("secret")], address: IPv4Address(172, 19, 0, 2)),
            DNSEndpointRecord(
                network: "mynet", names: [name("web"), name("my_app.svc")], address: IPv4Address(172, 18, 0, 3)),
            DNSEndpointRecord(network: "second", names: [name("web")], address: IPv4Address(172, 20, 0, 3)),
            DNSEndpointRecord(network: "second", names: [name("db")], address: IPv4Address(172, 18, 0, 2)),
        ]
            + (0..<40).map { i in
                DNSEndpointRecord(network: "mynet", names: [name("many")], address: IPv4Address(172, 18, 1, UInt8(i)))
            },
        gateways: ["mynet": IPv4Address(172, 18, 0, 1)], ttl: 5)

    /// A query as resolvers send it; `flags` 0x0100 is RD.
    static func query(
        _ name: String, _ type: UInt16 = 1, id: UInt16 = 0x1234, flags: UInt16 = 0x0100, edns: UInt16? = nil
    )
        -> [UInt8]
    {
        var q: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xff), UInt8(flags >> 8), UInt8(flags & 0xff), 0, 1, 0, 0, 0, 0, 0,
            edns == nil ? 0 : 1,
        ]
        for label in name.split(separator: ".") { q += [UInt8(label.utf8.count)] + Array(label.utf8) }
        q += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        if let edns { q += [0, 0, 41, UInt8(edns >> 8), UInt8(edns & 0xff), 0, 0, 0, 0, 0, 0] }
        return q
    }

    /// What the general path sends for `packet` when berth answers it itself; nil when it forwards
    /// or cannot read the packet.
    static func general(_ packet: [UInt8], view: DNSView = view) -> [UInt8]? {
        guard let m = try? DNSMessage.decode(packet), case .reply(let r) = DNSAnswerer.decide(m, view: view) else {
            return nil
        }
        return try? r.encode(limit: m.udpPayloadSize)
    }

    @Test func answersPlainQueriesExactlyAsTheGeneralPath() throws {
        let cases = [
            Self.query("db"), Self.query("DataBase"), Self.query("0123456789AB", id: 7), Self.query("web"),
            Self.query("my_app.svc"), Self.query("db", 28), Self.query("db", 255), Self.query("db", 16),
            Self.query("db", flags: 0), Self.query("db", flags: 0x0130), Self.query("db", edns: 4096),
            Self.query("web", edns: 100),
            Self.query("host.docker.internal"), Self.query("HOST-GATEWAY", edns: 1232), Self.query("many", edns: 1232),
        ]
        for q in cases {
            let quick = try #require(DNSAnswerer.quickReply(to: q, view: Self.view), "no quick reply for \(q)")
            #expect(quick == Self.general(q), "\(q)")
        }
        // The answer itself, as a client reads it: id, flags, one A record pointing at the question.
        let db = try #require(DNSAnswerer.quickReply(to: Self.query("db"), view: Self.view))
        let m = try DNSMessage.decode(db)
        #expect(m.header.id == 0x1234 && m.header.isResponse && m.header.authoritative && m.header.recursionDesired)
        #expect(m.answers.map(\.data) == [.a(IPv4Address(172, 18, 0, 2))])
        #expect(Array(db[(db.count - 16)..<(db.count - 14)]) == [0xC0, 12])
    }

    @Test func leavesEverythingElseToTheGeneralPath() {
        let cases: [[UInt8]] = [
            Self.query("secret"), Self.query("example.org"), Self.query("2.0.18.172.in-addr.arpa", 12),
            Self.query("db", 12),
            // Too many answers for 512 bytes: the general path truncates and sets TC.
            Self.query("many"),
            // A response, another opcode, two questions, an answer record, a non-OPT additional record.
            Self.query("db", flags: 0x8100), Self.query("db", flags: 0x2100),
            {
                var q = Self.query("db")
                q[5] = 2
                return q
            }(),
            {
                var q = Self.query("db")
                q[7] = 1
                return q
            }(),
            {
                var q = Self.query("db", edns: 1232)
                q[22] = 1
                return q
            }(),  // type A, not OPT
            // Labels the quick path does not compare (a dot inside a label, non-ASCII) and compression.
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0x64, 0x62, 0x2e, 0x78, 0, 0, 1, 0, 1],
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0xc4, 0xb0, 0, 0, 1, 0, 1],
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1],
            // Cut short: header only, name without its end, question without its class.
            Array(Self.query("db").prefix(12)), Array(Self.query("db").prefix(15)), Array(Self.query("db").prefix(18)),
            Array(Self.query("db", edns: 1232).prefix(25)), [],
        ]
        for q in cases { #expect(DNSAnswerer.quickReply(to: q, view: Self.view) == nil, "\(q)") }
    }

    @Test func followsTheViewItIsGiven() throws {
        var view = Self.view
        #expect(DNSAnswerer.quickReply(to: Self.query("late"), view: view) == nil)
        view.records.append(
            DNSEndpointRecord(network: "mynet", names: [Self.name("late")], address: IPv4Address(172, 18, 0, 9)))
        let late = try #require(DNSAnswerer.quickReply(to: Self.query("late"), view: view))
        #expect(late == Self.general(Self.query("late"), view: view))
        // Leaving the network hides the names at once.
        view.askerNetworks = ["second"]
        #expect(DNSAnswerer.quickReply(to: Self.query("late"), view: view) == nil)
        #expect(DNSAnswerer.quickReply(to: Self.query("host.docker.internal"), view: view) == nil)
        view.gateways["second"] = IPv4Address(172, 20, 0, 1)
        #expect(
            DNSAnswerer.quickReply(to: Self.query("host.docker.internal"), view: view)
                == Self.general(Self.query("host.docker.internal"), view: view))
    }
}
