import BerthAddressing
import BerthDNSWire
import Foundation
import Testing

/// A seeded mutation fuzzer for the DNS codec and the answering logic: valid packets (queries with
/// and without EDNS, answers with compression, PTR, CNAME) are mutated the ways that break parsers
/// (bit flips, byte changes, insertions, deletions, counts and lengths set to extremes, compression
/// pointers anywhere), then decoded, answered and re-encoded. Nothing may crash or hang; bounded by
/// count and by time. A failure names its seed so it can be replayed.
@Suite struct DNSFuzzTests {
    /// SplitMix64: small, seedable, the same sequence everywhere.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func corpus() throws -> [[UInt8]] {
        func query(_ name: String, _ type: UInt16, edns: Bool) -> [UInt8] {
            var q: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, edns ? 1 : 0]
            for label in name.split(separator: ".") { q += [UInt8(label.utf8.count)] + Array(label.utf8) }
            q += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
            if edns { q += [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0] }
            return q
        }
        var packets = [
            query("db", 1, edns: false), query("web.mynet", 28, edns: true), query("2.0.18.172.in-addr.arpa", 12, edns: false),
            query("example.test", 1, edns: true), query("WEB", 1, edns: true), query("db", 255, edns: false),
        ]
        // Responses berth itself makes: compressed names, several records.
        let view = DNSFuzzTests.view
        for p in packets.prefix(3) {
            if case .reply(let m) = DNSAnswerer.decide(try DNSMessage.decode(p), view: view) { packets.append(try m.encode()) }
        }
        return packets
    }

    static let view = DNSView(
        askerNetworks: ["mynet"],
        records: [
            DNSEndpointRecord(network: "mynet", names: [(try? DNSName("db")) ?? .root, (try? DNSName("web")) ?? .root], address: IPv4Address(172, 18, 0, 2)),
            DNSEndpointRecord(network: "mynet", names: [(try? DNSName("web")) ?? .root], address: IPv4Address(172, 18, 0, 3)),
        ],
        gateways: ["mynet": IPv4Address(172, 18, 0, 1)])

    static func mutate(_ input: [UInt8], _ rng: inout Seeded) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let i = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !b.isEmpty: b[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1 where !b.isEmpty: b[i] = UInt8.random(in: 0...255, using: &rng)
            case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 3 where !b.isEmpty: b.remove(at: i)
            case 4 where b.count > 12:
                // A count set to an extreme.
                let at = 4 + 2 * Int.random(in: 0...3, using: &rng)
                b[at] = 0xff
                b[at + 1] = UInt8.random(in: 0...255, using: &rng)
            case 5 where b.count > 1:
                // A compression pointer anywhere, often at itself or forward.
                let target = Int.random(in: 0..<max(1, b.count + 8), using: &rng)
                b[i] = 0xc0 | UInt8((target >> 8) & 0x3f)
                if i + 1 < b.count { b[i + 1] = UInt8(target & 0xff) }
            case 6 where !b.isEmpty: b[i] = [0x3f, 0x40, 0x7f, 0x80, 0xff][Int.random(in: 0...4, using: &rng)]
            default: b = Array(b.prefix(i))
            }
        }
        return b
    }

    struct Outcome: Sendable {
        var seed: UInt64
        var iterations = 0
        var decoded = 0
        var quick = 0
        var failures: [String] = []
    }

    /// The fuzz loop itself; CPU-bound, so the test runs it on a thread of its own (the 2-thread
    /// concurrency pool of these machines also serves the in-process resolver tests).
    static func fuzz(seed: UInt64, corpus: [[UInt8]], rounds: Int, seconds: Double) -> Outcome {
        var rng = Seeded(state: seed)
        var out = Outcome(seed: seed)
        let deadline = Date().addingTimeInterval(seconds)
        while out.iterations < rounds && Date() < deadline {
            out.iterations += 1
            let packet = DNSFuzzTests.mutate(corpus[Int.random(in: 0..<corpus.count, using: &rng)], &rng)
            // The resolver's quick path answers exactly as the general one, or leaves the packet to it.
            if let quick = DNSAnswerer.quickReply(to: packet, view: DNSFuzzTests.view) {
                out.quick += 1
                let m = try? DNSMessage.decode(packet)
                let general: [UInt8]? =
                    if let m, case .reply(let r) = DNSAnswerer.decide(m, view: DNSFuzzTests.view) {
                        try? r.encode(limit: m.udpPayloadSize)
                    } else { nil }
                if quick != general { out.failures.append("quick reply \(quick) differs from \(general as Any) for \(packet)") }
            }
            guard let m = try? DNSMessage.decode(packet) else { continue }
            out.decoded += 1
            // What the server would do with it: answer or forward, and encode within a UDP limit.
            if case .reply(let r) = DNSAnswerer.decide(m, view: DNSFuzzTests.view), let bytes = try? r.encode(limit: 512),
                bytes.count > 512
            {
                out.failures.append("reply of \(bytes.count) bytes over the 512-byte limit for \(packet)")
            }
            // What decodes encodes again, and that decodes again.
            if let again = try? m.encode(), (try? DNSMessage.decode(again)) == nil {
                out.failures.append("re-encoded message does not decode: \(packet)")
            }
        }
        return out
    }

    @Test func mutatedPacketsNeverCrashOrHang() async throws {
        let corpus = try DNSFuzzTests.corpus()
        let seed = UInt64.random(in: 0...UInt64.max)
        let outcome = await withCheckedContinuation { (done: CheckedContinuation<Outcome, Never>) in
            Thread { done.resume(returning: DNSFuzzTests.fuzz(seed: seed, corpus: corpus, rounds: 40000, seconds: 10)) }.start()
        }
        #expect(outcome.failures.isEmpty, "seed \(seed): \(outcome.failures.prefix(3))")
        #expect(outcome.iterations > 1000, "the fuzzer ran only \(outcome.iterations) rounds")
        // Some mutations keep a packet valid: the fuzzer reaches past the header checks.
        #expect(outcome.decoded > 0, "seed \(seed): no mutated packet decoded")
        #expect(outcome.quick > 0, "seed \(seed): no mutated packet took the quick path")
    }
}
