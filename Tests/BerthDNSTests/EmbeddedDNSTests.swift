import BerthAddressing
import BerthDNS
import BerthDNSWire
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 2: the embedded resolver in a real network namespace, asked by busybox's nslookup through the
/// 127.0.0.11:53 redirect (scenario U3's mechanism), with a stub upstream on loopback for forwarding.
@Suite("embedded DNS in a namespace (privileged)", .serialized) struct EmbeddedDNSTests {
    func view() -> DNSView {
        DNSView(
            askerNetworks: ["mynet"],
            records: [
                DNSEndpointRecord(network: "mynet", names: [(try? DNSName("db")) ?? .root], address: IPv4Address(172, 18, 0, 2)),
                DNSEndpointRecord(network: "other", names: [(try? DNSName("hidden")) ?? .root], address: IPv4Address(172, 19, 0, 2)),
            ])
    }

    @Test func answersOwnNamesAndForwardsTheRest() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let port = UInt16.random(in: 20000...29999)
        let script = sandbox.directory + "/stub.py"
        try FileSystem.writeFile(script, Array(TestSupport.dnsStubScript(address: "127.0.0.1", port: port).utf8))
        let stubPid = try Subprocess.spawnDetached(["python3", script], logPath: sandbox.directory + "/stub.log")
        defer { kill(stubPid, SIGTERM) }
        // Wait (bounded) until the stub has bound its port.
        for _ in 0..<100 where !((try? FileSystem.readText(sandbox.directory + "/stub.log")) ?? "").contains("ready") {
            try await Task.sleep(for: .milliseconds(50))
        }

        let dns = try EmbeddedDNS(upstreams: [(IPv4Address.loopback, port)])
        let view = self.view()
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(view))

        let own = try await sandbox.shAsync("timeout 5 busybox nslookup db 127.0.0.11")
        #expect(own.stdout.contains("172.18.0.2"), "\(own.stdout)\(own.stderr)")
        // The redirect is there, visible with nft inside the namespace.
        let rules = try await sandbox.shAsync("nft list table ip berth-dns").stdout
        #expect(rules.contains("udp dport 53 dnat to 127.0.0.11:\(listener.udpPort)"))

        // A name on a network the asker is not on is not answered by berth (the stub answers instead).
        let hidden = try await sandbox.shAsync("timeout 5 busybox nslookup hidden 127.0.0.11")
        #expect(!hidden.stdout.contains("172.19.0.2"))

        // Anything else goes upstream, from the host's namespace to the loopback stub.
        let forwarded = try await sandbox.shAsync("timeout 5 busybox nslookup example.test 127.0.0.11")
        #expect(forwarded.stdout.contains("192.0.2.77"), "\(forwarded.stdout)\(forwarded.stderr)")

        await dns.stop(listener)
        #expect(!(try await sandbox.shAsync("nft list tables").stdout.contains("berth-dns")))
    }

    @Test func unreachableUpstreamFailsFast() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        // Nothing listens on this loopback port: the resolver answers SERVFAIL after its timeout.
        let dns = try EmbeddedDNS(upstreams: [(IPv4Address.loopback, 9)], timeout: .milliseconds(300))
        let view = self.view()
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(view))
        let r = try await sandbox.shAsync("timeout 10 busybox nslookup nowhere.test 127.0.0.11")
        #expect(r.status != 0)
        #expect(r.status != 124, "nslookup hung instead of getting SERVFAIL")
        // Garbage to the resolver port gets no crash: the resolver still answers afterwards.
        _ = try await sandbox.shAsync("printf 'garbage' | timeout 2 busybox nc -u -w1 127.0.0.11 53 || true")
        #expect(try await sandbox.shAsync("timeout 5 busybox nslookup db 127.0.0.11").stdout.contains("172.18.0.2"))
        await dns.stop(listener)
    }

    /// A python client asking 127.0.0.11:53 for `name` over udp or tcp; prints "TC=<0|1> AN=<count>".
    static let client = """
        import socket, struct, sys
        name, proto = sys.argv[1], sys.argv[2]
        q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\\x00" + struct.pack(">HH", 1, 1)
        if proto == "tcp":
            s = socket.create_connection(("127.0.0.11", 53), timeout=5)
            s.sendall(struct.pack(">H", len(q)) + q)
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    break
                data += chunk
            r = data[2:]
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(q, ("127.0.0.11", 53))
            r = s.recv(65535)
        flags, an = struct.unpack(">H", r[2:4])[0], struct.unpack(">H", r[6:8])[0]
        print("TC=%d AN=%d" % ((flags >> 9) & 1, an))
        """

    @Test func tcpAndTruncation() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let script = sandbox.directory + "/client.py"
        try FileSystem.writeFile(script, Array(EmbeddedDNSTests.client.utf8))
        let many = (0..<100).map { i in
            DNSEndpointRecord(network: "mynet", names: [(try? DNSName("many")) ?? .root], address: IPv4Address(172, 18, 1, UInt8(i)))
        }
        let view = DNSView(askerNetworks: ["mynet"], records: self.view().records + many)
        let dns = try EmbeddedDNS(upstreams: [])
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(view))
        #expect(listener.tcpPort != 0)
        let tcpOne = try await sandbox.shAsync("timeout 10 python3 \(script) db tcp")
        #expect(tcpOne.stdout.contains("TC=0 AN=1"), "\(tcpOne.stdout)\(tcpOne.stderr)")
        // 100 answers do not fit a 512-byte UDP reply: TC tells the client to retry over TCP …
        let udpMany = try await sandbox.shAsync("timeout 10 python3 \(script) many udp")
        #expect(udpMany.stdout.contains("TC=1"), "\(udpMany.stdout)\(udpMany.stderr)")
        // … where all of them come back.
        let tcpMany = try await sandbox.shAsync("timeout 10 python3 \(script) many tcp")
        #expect(tcpMany.stdout.contains("TC=0 AN=100"), "\(tcpMany.stdout)\(tcpMany.stderr)")
        await dns.stop(listener)
    }

    @Test func noForwardBudgetMeansImmediateServFail() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let dns = try EmbeddedDNS(upstreams: [(IPv4Address.loopback, 9)], maxOutstanding: 0)
        let view = self.view()
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(view))
        let r = try await sandbox.shAsync("timeout 10 busybox nslookup nowhere.test 127.0.0.11")
        #expect(r.stdout.contains("SERVFAIL"), "\(r.stdout)\(r.stderr)")
        // Own names never need the budget.
        #expect(try await sandbox.shAsync("timeout 5 busybox nslookup db 127.0.0.11").stdout.contains("172.18.0.2"))
        await dns.stop(listener)
    }

    /// Malformed packets from inside the namespace, seeded and bounded: UDP garbage and mutations of
    /// a valid query, TCP connections that lie about lengths, stop halfway or send nothing. The
    /// resolver keeps answering over both.
    static let fuzzer = """
        import random, socket, struct, sys, time
        seed = int(sys.argv[1]); rnd = random.Random(seed)
        q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\\x02db\\x00" + struct.pack(">HH", 1, 1)
        def mutate(b):
            b = bytearray(b)
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(len(b)) if b else 0
                k = rnd.randrange(6)
                if k == 0 and b: b[i] ^= 1 << rnd.randrange(8)
                elif k == 1 and b: b[i] = rnd.randrange(256)
                elif k == 2: b.insert(i, rnd.randrange(256))
                elif k == 3 and b: del b[i]
                elif k == 4 and len(b) > 1: b[i] = 0xc0; b[(i + 1) % len(b)] = rnd.randrange(256)
                else: b = b[:i]
            return bytes(b)
        end = time.time() + 20
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setblocking(False)
        sent = 0
        for n in range(3000):
            if time.time() > end: break
            pkt = mutate(q) if n % 2 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 600)))
            try: u.sendto(pkt, ("127.0.0.11", 53)); sent += 1
            except OSError: pass
            try:
                while True: u.recv(65535)
            except OSError: pass
        for n in range(150):
            if time.time() > end: break
            try:
                t = socket.create_connection(("127.0.0.11", 53), timeout=2)
                k = n % 4
                if k == 0: t.sendall(struct.pack(">H", 65535) + q)
                elif k == 1: t.sendall(struct.pack(">H", len(q))[:1])
                elif k == 2: t.sendall(struct.pack(">H", len(q)) + mutate(q)[: len(q)])
                t.close()
            except OSError: pass
        print("sent", sent)
        """

    @Test func survivesMalformedPackets() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let fuzz = sandbox.directory + "/fuzz.py"
        let client = sandbox.directory + "/client.py"
        try FileSystem.writeFile(fuzz, Array(EmbeddedDNSTests.fuzzer.utf8))
        try FileSystem.writeFile(client, Array(EmbeddedDNSTests.client.utf8))
        let dns = try EmbeddedDNS(upstreams: [(IPv4Address.loopback, 9)], timeout: .milliseconds(200))
        let view = self.view()
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(view))
        let seed = Int.random(in: 0..<1_000_000)
        let run = try await sandbox.shAsync("timeout 60 python3 \(fuzz) \(seed)")
        #expect(run.status == 0 && run.stdout.contains("sent"), "seed \(seed): \(run.stdout)\(run.stderr)")
        // Still answering, over UDP and TCP.
        #expect(try await sandbox.shAsync("timeout 5 busybox nslookup db 127.0.0.11").stdout.contains("172.18.0.2"), "seed \(seed)")
        #expect(try await sandbox.shAsync("timeout 10 python3 \(client) db tcp").stdout.contains("TC=0 AN=1"), "seed \(seed)")
        await dns.stop(listener)
    }

    /// A client that keeps `window` queries in flight on one socket (more than one vector read of
    /// the resolver), `total` in all, for names n0…n9, with a malformed datagram after every 5th
    /// query: too short for a header (no reply expected) or a header whose question is cut off
    /// (FORMERR expected). Checks every reply against its query and prints a summary.
    static let burst = """
        import socket, struct, sys, time
        total, window = int(sys.argv[1]), int(sys.argv[2])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("127.0.0.11", 53)); s.settimeout(5)
        def query(i, name):
            q = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0)
            return q + bytes([len(name)]) + name.encode() + b"\\x00" + struct.pack(">HH", 1, 1)
        expect, sent, good, formerr, wrong, deadline = {}, 0, 0, 0, [], time.time() + 60
        while (sent < total or expect) and time.time() < deadline:
            while sent < total and len(expect) < window:
                i = sent; sent += 1
                if i % 6 == 5:
                    if i % 12 == 5:
                        s.send(b"\\x01\\x02\\x03")  # no header: dropped
                    else:
                        s.send(query(i, "n1")[:15]); expect[i] = "FORMERR"
                else:
                    s.send(query(i, "n%d" % (i % 10))); expect[i] = "172.18.5.%d" % (i % 10)
            try:
                r = s.recv(4096)
            except socket.timeout:
                break
            rid, flags, an = struct.unpack(">H", r[0:2])[0], struct.unpack(">H", r[2:4])[0], struct.unpack(">H", r[6:8])[0]
            want = expect.pop(rid, None)
            if want == "FORMERR" and flags & 0xf == 1:
                formerr += 1
            elif want and flags & 0xf == 0 and an == 1 and socket.inet_ntoa(r[-4:]) == want:
                good += 1
            else:
                wrong.append((rid, want, r.hex()))
        print("good=%d formerr=%d missing=%d wrong=%d %s" % (good, formerr, len(expect), len(wrong), wrong[:3]))
        """

    static let names = DNSView(
        askerNetworks: ["mynet"],
        records: (0..<10).map { i in
            DNSEndpointRecord(network: "mynet", names: [(try? DNSName("n\(i)")) ?? .root], address: IPv4Address(172, 18, 5, UInt8(i)))
        })

    @Test func burstsLargerThanOneVectorReadGetEveryAnswer() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let script = sandbox.directory + "/burst.py"
        try FileSystem.writeFile(script, Array(EmbeddedDNSTests.burst.utf8))
        let dns = try EmbeddedDNS(upstreams: [])
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: FixedDNSView(EmbeddedDNSTests.names))
        // 3,000 datagrams, up to 100 in flight: each read batch of the resolver (32) is full, and
        // the malformed ones among them do not cost the good ones their answers.
        let run = try await sandbox.shAsync("timeout 90 python3 \(script) 3000 100")
        #expect(run.stdout.contains("good=2500 formerr=250 missing=0 wrong=0"), "\(run.stdout)\(run.stderr)")
        await dns.stop(listener)
    }

    /// A view source the test changes while the resolver runs; counts its builds.
    final class ChangingViews: DNSViewSource, @unchecked Sendable {
        let lock = NSLock()
        var view: DNSView
        var isCached = true
        var builds = 0

        init(_ view: DNSView) { self.view = view }

        func cached() -> DNSView? { lock.withLock { isCached ? view : nil } }

        func build() async -> DNSView {
            lock.withLock {
                builds += 1
                return view
            }
        }

        func set(_ view: DNSView, cached: Bool) {
            lock.withLock {
                self.view = view
                isCached = cached
            }
        }
    }

    @Test func answersFollowTheViewAtOnceCachedOrBuilt() async throws {
        let sandbox = try ScratchNamespace(name: "sb")
        defer { sandbox.close() }
        let script = sandbox.directory + "/client.py"
        try FileSystem.writeFile(script, Array(EmbeddedDNSTests.client.utf8))
        let views = ChangingViews(view())
        // No upstream: a name berth does not own gets SERVFAIL, "TC=0 AN=0".
        let dns = try EmbeddedDNS(upstreams: [], timeout: .milliseconds(200))
        let listener = try await dns.serve(sandbox: sandbox.namespace, views: views)
        #expect(try await sandbox.shAsync("timeout 10 python3 \(script) db udp").stdout.contains("TC=0 AN=1"))
        #expect(try await sandbox.shAsync("timeout 10 python3 \(script) newcomer udp").stdout.contains("TC=0 AN=0"))
        // A container joins: the very next query sees it, from the cached view (no build) …
        var joined = view()
        joined.records.append(
            DNSEndpointRecord(network: "mynet", names: [(try? DNSName("newcomer")) ?? .root], address: IPv4Address(172, 18, 0, 7)))
        views.set(joined, cached: true)
        #expect(try await sandbox.shAsync("timeout 10 python3 \(script) newcomer udp").stdout.contains("TC=0 AN=1"))
        #expect(views.lock.withLock { views.builds } == 0)
        // … and with the cache emptied by a change, from a built one.
        views.set(view(), cached: false)
        #expect(try await sandbox.shAsync("timeout 10 python3 \(script) newcomer udp").stdout.contains("TC=0 AN=0"))
        #expect(try await sandbox.shAsync("timeout 10 python3 \(script) db udp").stdout.contains("TC=0 AN=1"))
        #expect(views.lock.withLock { views.builds } >= 2)
        await dns.stop(listener)
    }
}
