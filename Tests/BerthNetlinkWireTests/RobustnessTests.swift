import BerthNetlinkWire
import Testing

/// The decoder never trusts a length: truncated, corrupted and random input is an error, never a crash
/// or an out-of-bounds read.
@Suite("netlink decoder robustness") struct RobustnessTests {
    static func validDatagram() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for m in RoundTripTests.samples { bytes += try m.encode() }
        return bytes
    }

    /// Decoding must either succeed or throw NetlinkWireError; any other outcome (a trap) kills the test run.
    static func decodeSafely(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try NetlinkMessage.decode(datagram: bytes)
            return true
        } catch {
            return false
        }
    }

    @Test func everyTruncationOfAValidDatagram() throws {
        let valid = try Self.validDatagram()
        var failures = 0
        for length in 0..<valid.count {
            if !Self.decodeSafely(Array(valid[0..<length])) { failures += 1 }
        }
        // Cutting inside a message (not at a message boundary) must be detected.
        #expect(failures > valid.count / 2)
        #expect(Self.decodeSafely(valid))
    }

    @Test func corruptedBytes() throws {
        let valid = try Self.validDatagram()
        var rng = SplitMix64(seed: 0xBE57)
        for _ in 0..<20000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = Self.decodeSafely(bytes)
        }
    }

    @Test func randomBuffers() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20000 {
            let count = Int.random(in: 0...200, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Make the first header plausible so the fuzzing reaches the payload decoders.
            if count >= 16 {
                let length = UInt32.random(in: 16...UInt32(count), using: &rng)
                bytes[0] = UInt8(length & 0xff)
                bytes[1] = UInt8(length >> 8)
                bytes[2] = 0
                bytes[3] = 0
                bytes[4] = [2, 3, 16, 20, 24, 1][Int.random(in: 0..<6, using: &rng)]
                bytes[5] = 0
            }
            _ = Self.decodeSafely(bytes)
        }
    }

    @Test func specificLiesAreRejected() throws {
        // nlmsg_len smaller than the header.
        #expect(!Self.decodeSafely(hex("08 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00")))
        // nlmsg_len larger than the datagram.
        #expect(!Self.decodeSafely(hex("ff 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00")))
        // A header that is cut short.
        #expect(!Self.decodeSafely(hex("10 00 00 00 03 00")))
        // A link message shorter than struct ifinfomsg.
        #expect(!Self.decodeSafely(hex("18 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00  01 02 03 04 05 06 07 08")))
        // nla_len below the attribute header size.
        #expect(
            !Self.decodeSafely(
                hex(
                    """
                    24 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00
                    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                    02 00 03 00
                    """)))
        // nla_len beyond the message.
        #expect(
            !Self.decodeSafely(
                hex(
                    """
                    28 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00
                    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                    40 00 03 00 62 72 30 00
                    """)))
        // IFLA_MTU with 2 bytes instead of 4.
        #expect(
            !Self.decodeSafely(
                hex(
                    """
                    28 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00
                    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                    06 00 04 00 dc 05 00 00
                    """)))
        // An uncapped error whose echoed request claims more bytes than were sent.
        #expect(
            !Self.decodeSafely(
                hex(
                    """
                    24 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00
                    ea ff ff ff
                    ff 00 00 00 10 00 05 00 00 00 00 00 00 00 00 00
                    """)))
        // An uncapped error whose echoed request claims fewer bytes than its own header.
        #expect(
            !Self.decodeSafely(
                hex(
                    """
                    24 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00
                    ea ff ff ff
                    04 00 00 00 10 00 05 00 00 00 00 00 00 00 00 00
                    """)))
        // An error too short to hold the echoed header.
        #expect(!Self.decodeSafely(hex("18 00 00 00 02 00 00 01 00 00 00 00 00 00 00 00  ea ff ff ff 00 00 00 00")))
    }

    /// A veth peer inside a veth peer inside… is refused, so hostile input cannot recurse without bound.
    @Test func deeplyNestedPeersAreRefused() throws {
        var message = LinkMessage(attributes: [.name("x")])
        for _ in 0..<3 {
            message = LinkMessage(attributes: [.linkInfo([.kind("veth"), .data(.veth([.peer(message)]))])])
        }
        let bytes = try NetlinkMessage(header: NetlinkHeader(type: .newLink, flags: []), payload: .link(message))
            .encode()
        #expect(throws: NetlinkWireError.self) { try NetlinkMessage.decode(datagram: bytes) }
    }

    /// Padding may be missing after the last attribute, and trailing zero padding is accepted.
    @Test func lenientWhereTheKernelIs() throws {
        let unpadded = hex(
            """
            25 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00
            00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
            05 00 11 00 01
            """)
        let decoded = try NetlinkMessage.decode(datagram: unpadded)
        guard case .link(let link) = decoded.first?.payload else {
            Issue.record("expected a link")
            return
        }
        #expect(link.attributes == [.linkMode(1)])
    }
}
