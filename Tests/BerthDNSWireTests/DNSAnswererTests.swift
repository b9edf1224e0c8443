import BerthAddressing
import BerthDNSWire
import Testing

@Suite struct DNSAnswererTests {
    func name(_ s: String) -> DNSName { (try? DNSName(s)) ?? .root }
    func ip(_ s: String) -> IPv4Address { IPv4Address(s) ?? .any }
    func query(_ n: String, _ t: DNSType = .a) -> DNSMessage {
        DNSMessage(header: DNSHeader(id: 42), questions: [DNSQuestion(name: name(n), type: t)])
    }

    var view: DNSView {
        DNSView(
            askerNetworks: ["mynet"],
            records: [
                DNSEndpointRecord(network: "mynet", names: [name("db"), name("database"), name("0123456789ab")], address: ip("172.18.0.2")),
                DNSEndpointRecord(network: "other", names: [name("secret")], address: ip("172.19.0.2")),
                DNSEndpointRecord(network: "mynet", names: [name("web")], address: ip("172.18.0.3")),
            ],
            gateways: ["mynet": ip("172.18.0.1")], ttl: 5)
    }

    func rcode(_ d: DNSDecision) -> UInt8? {
        if case .reply(let m) = d { return m.header.rcode }
        return nil
    }

    func answers(_ d: DNSDecision) -> [DNSRecordData]? {
        if case .reply(let m) = d { return m.answers.map(\.data) }
        return nil
    }

    @Test func namesAliasesAndShortIdsResolveCaseInsensitively() {
        #expect(answers(DNSAnswerer.decide(query("db"), view: view)) == [.a(ip("172.18.0.2"))])
        #expect(answers(DNSAnswerer.decide(query("DataBase"), view: view)) == [.a(ip("172.18.0.2"))])
        #expect(answers(DNSAnswerer.decide(query("0123456789ab"), view: view)) == [.a(ip("172.18.0.2"))])
        guard case .reply(let m) = DNSAnswerer.decide(query("db"), view: view) else {
            Issue.record("db must be answered by berth")
            return
        }
        #expect(m.header.id == 42)
        #expect(m.answers.first?.ttl == 5)
        #expect(m.header.authoritative)
    }

    @Test func namesOnOtherNetworksAreInvisible() {
        // "secret" lives only on "other": forwarded upstream (where it will not exist), never answered.
        #expect(DNSAnswerer.decide(query("secret"), view: view) == .forward)
        #expect(DNSAnswerer.decide(query("example.org"), view: view) == .forward)
    }

    @Test func ownNamesAnswerEmptyForOtherTypes() {
        #expect(answers(DNSAnswerer.decide(query("db", .aaaa), view: view)) == [])
    }

    @Test func reverseLookups() {
        #expect(answers(DNSAnswerer.decide(query("2.0.18.172.in-addr.arpa", .ptr), view: view)) == [.ptr(name("db"))])
        #expect(DNSAnswerer.decide(query("2.0.19.172.in-addr.arpa", .ptr), view: view) == .forward)
    }

    @Test func hostGateway() {
        #expect(answers(DNSAnswerer.decide(query("host-gateway"), view: view)) == [.a(ip("172.18.0.1"))])
        #expect(answers(DNSAnswerer.decide(query("host.docker.internal"), view: view)) == [.a(ip("172.18.0.1"))])
    }

    @Test func malformedQueriesGetFormErrOrNotImp() {
        var two = query("db")
        two.questions.append(DNSQuestion(name: name("web"), type: .a))
        #expect(rcode(DNSAnswerer.decide(two, view: view)) == DNSRCode.formatError.rawValue)
        var update = query("db")
        update.header.opcode = 5
        #expect(rcode(DNSAnswerer.decide(update, view: view)) == DNSRCode.notImplemented.rawValue)
    }
}
