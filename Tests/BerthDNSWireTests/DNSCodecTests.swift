import BerthAddressing
import BerthDNSWire
import Testing

@Suite struct DNSCodecTests {
    /// `dig db A` as a stub resolver sends it: id 0xbeef, RD, one question, no EDNS.
    let queryBytes: [UInt8] = [
        0xbe, 0xef,  // id
        0x01, 0x00,  // flags: RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // QD=1 AN=0 NS=0 AR=0
        0x02, 0x64, 0x62, 0x00,  // "db" .
        0x00, 0x01, 0x00, 0x01,  // A IN
    ]

    @Test func decodesAQuery() throws {
        let m = try DNSMessage.decode(queryBytes)
        #expect(m.header.id == 0xbeef)
        #expect(m.header.recursionDesired)
        #expect(!m.header.isResponse)
        #expect(m.questions == [DNSQuestion(name: try DNSName("db"), type: .a)])
        #expect(try m.encode() == queryBytes)  // and writes it back byte for byte
    }

    @Test func answerUsesCompression() throws {
        let q = try DNSMessage.decode(queryBytes)
        let ip = try #require(IPv4Address("172.18.0.2"))
        let r = DNSMessage.response(
            to: q, rcode: .noError, answers: [DNSRecord(name: try DNSName("DB"), type: .a, ttl: 5, data: .a(ip))])
        let bytes = try r.encode()
        // The answer's owner name is a pointer (0xC00C) to the question's name at offset 12.
        #expect(Array(bytes[20..<22]) == [0xC0, 0x0C])
        #expect(Array(bytes.suffix(4)) == [172, 18, 0, 2])
        let back = try DNSMessage.decode(bytes)
        #expect(back.header.isResponse && back.header.recursionAvailable)
        #expect(back.answers.first?.data == .a(ip))
        #expect(back.answers.first?.name == (try DNSName("db")))  // case-insensitive
    }

    @Test func ptrAndCnameRoundTrip() throws {
        let name = DNSName.reverse([172, 18, 0, 2])
        #expect(name.description == "2.0.18.172.in-addr.arpa.")
        let m = DNSMessage(
            header: DNSHeader(id: 7, isResponse: true),
            questions: [DNSQuestion(name: name, type: .ptr)],
            answers: [
                DNSRecord(name: name, type: .ptr, ttl: 5, data: .ptr(try DNSName("db.mynet"))),
                DNSRecord(name: try DNSName("www.mynet"), type: .cname, ttl: 5, data: .cname(try DNSName("db.mynet"))),
            ],
            additional: [.opt(payloadSize: 1232)])
        let back = try DNSMessage.decode(try m.encode())
        #expect(back == m)
        #expect(back.udpPayloadSize == 1232)
    }

    @Test func pointerLoopsAndForwardPointersAreRejected() {
        var selfLoop = queryBytes
        selfLoop.replaceSubrange(12..<16, with: [0xC0, 0x0C, 0x00, 0x00])  // name points at itself
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(selfLoop) }
        var forward = queryBytes
        forward.replaceSubrange(12..<16, with: [0xC0, 0x12, 0x00, 0x00])  // points past itself
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(forward) }
    }

    @Test func everyTruncationFailsCleanly() {
        for n in 0..<queryBytes.count {
            #expect(throws: DNSWireError.self) { try DNSMessage.decode(Array(queryBytes.prefix(n))) }
        }
    }

    @Test func lyingCountsAndOversizeLabels() {
        var counts = queryBytes
        counts[5] = 0xff  // 255 questions in a 20-byte packet
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(counts) }
        var label = queryBytes
        label[12] = 0x50  // label type 01: not supported
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(label) }
        #expect(throws: DNSWireError.self) { try DNSName(String(repeating: "a", count: 64)) }
        #expect(throws: DNSWireError.self) { try DNSName(Array(repeating: "abcdefgh", count: 40).joined(separator: ".")) }
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let n = Int.random(in: 0..<80, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if bytes.count > 12, Bool.random(using: &rng) { bytes.replaceSubrange(0..<12, with: queryBytes.prefix(12)) }
            _ = try? DNSMessage.decode(bytes)
        }
        // Mutations of a valid packet: flip one byte at a time through all values.
        for i in 0..<queryBytes.count {
            for v in 0...255 {
                var b = queryBytes
                b[i] = UInt8(v)
                _ = try? DNSMessage.decode(b)
            }
        }
    }

    @Test func oversizeAnswersAreTruncatedWithTC() throws {
        let q = try DNSMessage.decode(queryBytes)
        let answers = (0..<100).map { i in
            DNSRecord(name: try! DNSName("db"), type: .a, ttl: 5, data: .a(IPv4Address(10, 0, 0, UInt8(i))))
        }
        let bytes = try DNSMessage.response(to: q, rcode: .noError, answers: answers).encode(limit: 512)
        #expect(bytes.count <= 512)
        let back = try DNSMessage.decode(bytes)
        #expect(back.header.truncated)
        #expect(back.answers.count < 100)
        // Without a limit (TCP) all of them fit.
        let full = try DNSMessage.decode(try DNSMessage.response(to: q, rcode: .noError, answers: answers).encode())
        #expect(full.answers.count == 100)
        #expect(!full.header.truncated)
    }
}
