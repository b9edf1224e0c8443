import BerthAddressing
import BerthCore
import Testing

@Suite struct IPv4Tests {
    @Test func parsesAndPrints() throws {
        let a = try #require(IPv4Address("172.17.0.2"))
        #expect(a.description == "172.17.0.2")
        #expect(a.bytes == [172, 17, 0, 2])
        #expect(IPv4Address(bytes: [10, 0, 0, 1]) == IPv4Address(10, 0, 0, 1))
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3", " 1.2.3.4", "1.2.3.-4"])
    func rejectsMalformed(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func cidrMath() throws {
        let n = try #require(IPv4Network("172.18.0.0/16"))
        #expect(n.network.description == "172.18.0.0")
        #expect(n.broadcast.description == "172.18.255.255")
        #expect(n.netmask.description == "255.255.0.0")
        #expect(n.size == 65536)
        #expect(n.contains(try #require(IPv4Address("172.18.3.4"))))
        #expect(!n.contains(try #require(IPv4Address("172.19.0.1"))))
        #expect(n.overlaps(try #require(IPv4Network("172.18.5.0/24"))))
        #expect(n.overlaps(try #require(IPv4Network("172.16.0.0/12"))))
        #expect(!n.overlaps(try #require(IPv4Network("172.19.0.0/16"))))
        #expect(IPv4Network("0.0.0.0/0")?.contains(try #require(IPv4Address("8.8.8.8"))) == true)
    }

    @Test func parseExplainsMistakes() {
        #expect(throws: BerthError.invalid("invalid subnet 172.18.0.1/16: host bits are set; did you mean 172.18.0.0/16?")) {
            try IPv4Network.parse("172.18.0.1/16")
        }
        #expect(throws: BerthError.self) { try IPv4Network.parse("172.18.0.0/33") }
        #expect(throws: BerthError.self) { try IPv4Network.parse("banana") }
    }
}

@Suite struct IPv6Tests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"), ("::", "::"), ("::1", "::1"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("fe80:0:0:0:1:0:0:1", "fe80::1:0:0:1"), ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ])
    func canonicalForm(_ input: String, _ expected: String) throws {
        #expect(try #require(IPv6Address(input)).description == expected)
    }

    @Test(arguments: ["1::2::3", ":::", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", ""])
    func rejectsMalformed(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }
}

@Suite struct MACAndNames {
    @Test func dockerDerivedMAC() throws {
        // Scenario B2: 172.17.0.2 → 02:42:ac:11:00:02.
        let mac = MACAddress.derived(from: try #require(IPv4Address("172.17.0.2")))
        #expect(mac.description == "02:42:ac:11:00:02")
        #expect(MACAddress("02:42:AC:11:00:02") == mac)
        #expect(MACAddress("02:42:ac:11:00") == nil)
        #expect(MACAddress("01:00:5e:00:00:01")?.isMulticast == true)
    }

    @Test func interfaceNameLimits() throws {
        #expect(try InterfaceName(validating: "br-0123456789ab").value == "br-0123456789ab")
        #expect(throws: BerthError.self) { try InterfaceName(validating: "br-0123456789abc") }  // 16 bytes
        #expect(throws: BerthError.self) { try InterfaceName(validating: "a/b") }
        #expect(throws: BerthError.self) { try InterfaceName(validating: "") }
    }

    @Test func objectNames() throws {
        try ObjectName.validate("my-net_1.x", kind: "network")
        #expect(throws: BerthError.self) { try ObjectName.validate("-bad", kind: "network") }
        #expect(throws: BerthError.self) { try ObjectName.validate("sp ace", kind: "network") }
    }
}
