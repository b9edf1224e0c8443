import BerthAddressing
import BerthCore
import BerthDNS
import BerthEngine
import BerthFirewall
import BerthStore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 2: the engine against the real kernel — netlink, nftables, namespaces — inside a throwaway
/// "host" namespace, so the test never touches the machine's own network and can run beside a live
/// berth or Docker. Scenarios B5, U4, P1–P3 of SCENARIOS.md at the network layer, before containers.
@Suite("engine on the real kernel (privileged)", .serialized) struct EngineKernelTests {
    /// A private world: host namespace with an "uplink" (a veth end with 198.51.100.1/24, a
    /// documentation address that exists only inside this namespace), state dirs, and sandboxes.
    final class World: @unchecked Sendable {
        let host: ScratchNamespace
        let dir: String
        let table: String
        let store: Store
        let engine: NetworkEngine
        /// No upstreams: names berth does not own get SERVFAIL, and no query ever leaves the machine.
        let dns: EmbeddedDNS
        var sandboxes: [NetworkNamespace] = []
        static let uplinkAddress = "198.51.100.1"

        init() throws {
            try TestSupport.requireRoot()
            host = try ScratchNamespace(name: "host")
            dir = host.directory
            table = "bt" + TestSupport.randomHex(6)
            do {
                // An "uplink" for the host: a veth pair (this kernel has no dummy driver) whose far end is idle.
                let uplink = try host.sh(
                    "ip link add up0 type veth peer name up1 && ip addr add \(World.uplinkAddress)/24 dev up0 && ip link set up1 up && ip link set up0 up"
                )
                guard uplink.succeeded else {
                    throw BerthError(.system, "cannot make the test uplink: \(uplink.stderr)")
                }
                store = try Store(path: dir + "/berth.db")
                dns = try EmbeddedDNS(upstreams: [])
                let config = EngineConfig(
                    root: dir, run: dir, hostNamespace: host.namespace, defaultBridgeName: table + "0",
                    firewallTable: table)
                engine = NetworkEngine(
                    config: config, store: store, kernel: try LinuxNetworkKernel(host: host.namespace),
                    firewall: NftablesDriver(namespace: host.namespace), dns: dns)
            } catch {
                host.close()
                throw error
            }
        }

        func sandbox(_ name: String) throws -> NetworkNamespace {
            let ns = try NetworkNamespace.create(at: dir + "/sb-" + name)
            sandboxes.append(ns)
            _ = try ns.run { try Subprocess.run(["ip", "link", "set", "lo", "up"]) }
            return ns
        }

        func sh(in ns: NetworkNamespace, _ command: String) throws -> SubprocessResult {
            try ns.run { try Subprocess.run(["/bin/sh", "-c", command]) }
        }

        /// `sh(in:)` for commands that talk to berth's own in-process servers (the DNS resolver): waits on
        /// a dedicated thread so the concurrency pool stays free to answer them.
        func shAsync(in ns: NetworkNamespace, _ command: String) async throws -> SubprocessResult {
            try await ns.run { try Subprocess.run(["/bin/sh", "-c", command]) }
        }

        /// Serves `text` over HTTP on `port` inside `ns` with busybox httpd (daemonised; killed in close()).
        func serve(in ns: NetworkNamespace, port: Int, text: String) throws {
            let www = dir + "/www-\(TestSupport.randomHex(6))"
            try FileSystem.makeDirectories(www)
            try FileSystem.writeFile(www + "/index.html", Array(text.utf8))
            let r = try sh(in: ns, "busybox httpd -p \(port) -h \(www)")
            #expect(r.succeeded, "busybox httpd failed: \(r.stderr)")
        }

        /// GET http://address:port/ from inside `ns`, bounded in time.
        func get(from ns: NetworkNamespace, _ address: String, _ port: Int) throws -> String? {
            let r = try sh(in: ns, "timeout 5 busybox wget -qO- http://\(address):\(port)/")
            return r.succeeded ? r.stdout : nil
        }

        func ping(from ns: NetworkNamespace, _ address: String) throws -> Bool {
            try sh(in: ns, "ping -c1 -W1 \(address)").succeeded
        }

        /// Runs `body` in a fresh world and removes everything afterwards, also when `body` fails.
        static func with(_ body: (World) async throws -> Void) async throws {
            let w = try World()
            do {
                try await body(w)
            } catch {
                await w.close()
                throw error
            }
            await w.close()
        }

        func close() async {
            _ = try? TestSupport.sh("pkill -f 'busybox httpd -p [0-9]* -h \(dir)/www-' || true")
            try? await engine.teardownAll()
            for ns in sandboxes { try? ns.delete() }
            host.close()
        }
    }

    @Test func twoSandboxesOnOneNetwork() async throws {
        try await World.with { w in
            try await w.engine.start()
            let net = try await w.engine.createNetwork(NetworkCreateSpec(name: "n1"))
            let bridge = try #require(net.bridge)
            // The bridge exists with the gateway address, seen by iproute2, not by berth.
            let link = try w.host.sh("ip -d -o link show \(bridge)")
            #expect(link.stdout.contains("bridge"))
            #expect(try w.host.sh("ip -o -4 addr show \(bridge)").stdout.contains("\(net.gateway ?? "?")/16"))

            let a = try w.sandbox("a")
            let b = try w.sandbox("b")
            let epA = try await w.engine.connect(
                EndpointRequest(
                    network: "n1", ownerId: "ida", ownerName: "a", sandbox: a.path,
                    ports: [PortRequest(hostPort: 8080, containerPort: 80)]))
            let epB = try await w.engine.connect(
                EndpointRequest(network: "n1", ownerId: "idb", ownerName: "b", sandbox: b.path))
            let ipA = try #require(epA.ipv4)
            let ipB = try #require(epB.ipv4)
            #expect(ipA == "172.18.0.2")
            #expect(ipB == "172.18.0.3")
            #expect(epA.mac == "02:42:ac:12:00:02")

            // Inside: eth0 with the address and MAC; a default route via the gateway.
            let inside = try w.sh(in: a, "ip -o addr show eth0; ip -o link show eth0; ip route")
            #expect(inside.stdout.contains("172.18.0.2/16"))
            #expect(inside.stdout.contains("02:42:ac:12:00:02"))
            #expect(inside.stdout.contains("default via \(net.gateway ?? "?") dev eth0"))
            // Host side: the veth is a port of the bridge.
            #expect(try w.host.sh("ip -o link show master \(bridge)").stdout.contains(epA.hostInterface))
            #expect(try w.host.sh("bridge -d link show dev \(epA.hostInterface)").stdout.contains("hairpin on"))

            // B5: neighbours reach each other by IP.
            #expect(try w.ping(from: b, ipA))
            // A server on the host is reachable through the gateway.
            try w.serve(in: w.host.namespace, port: 8081, text: "host-server")
            #expect(try w.get(from: a, net.gateway ?? "?", 8081) == "host-server")

            // P1: the published port answers on 127.0.0.1 and on the host's address, from the host.
            try w.serve(in: a, port: 80, text: "hello-from-a")
            #expect(try w.get(from: w.host.namespace, "127.0.0.1", 8080) == "hello-from-a")
            #expect(try w.get(from: w.host.namespace, World.uplinkAddress, 8080) == "hello-from-a")
            // Hairpin: the neighbour, and A itself, through the host's address.
            #expect(try w.get(from: b, World.uplinkAddress, 8080) == "hello-from-a")
            #expect(try w.get(from: a, World.uplinkAddress, 8080) == "hello-from-a")
            // The rules are visible with the system's own tool.
            let rules = try w.host.sh("nft list table ip \(w.table)").stdout
            #expect(rules.contains("masquerade"))
            #expect(rules.contains("8080"))

            // P3: the same host port cannot be published twice; nothing half-made is left.
            let c = try w.sandbox("c")
            let linksBefore = try w.host.sh("ip -o link show type veth").stdout
            await #expect(throws: BerthError.self) {
                try await w.engine.connect(
                    EndpointRequest(
                        network: "n1", ownerId: "idc", ownerName: "c", sandbox: c.path,
                        ports: [PortRequest(hostPort: 8080, containerPort: 80)]))
            }
            #expect(try w.host.sh("ip -o link show type veth").stdout == linksBefore)
            #expect(try await w.engine.endpoints(network: net.id).count == 2)
            // …nor a port some other program already holds on the host.
            let squatter = try w.host.sh("busybox nc -l -p 8090 >/dev/null 2>&1 & echo $!")
            defer {
                _ = try? TestSupport.sh(
                    "kill \(squatter.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) 2>/dev/null")
            }
            try await Task.sleep(for: .milliseconds(200))
            do {
                _ = try await w.engine.connect(
                    EndpointRequest(
                        network: "n1", ownerId: "idc", ownerName: "c", sandbox: c.path,
                        ports: [PortRequest(hostPort: 8090, containerPort: 80)]))
                Issue.record("publishing a port already in use must fail")
            } catch let e as BerthError {
                #expect(e.code == .conflict)
                #expect(e.message.contains("already in use"))
            }
            #expect(try w.host.sh("ip -o link show type veth").stdout == linksBefore)

            // Detaching removes the veth, the address and the rules.
            try await w.engine.disconnect(endpoint: epA.id)
            #expect(!(try w.host.sh("ip -o link show").stdout.contains(epA.hostInterface)))
            #expect(!(try w.host.sh("nft list table ip \(w.table)").stdout.contains("8080")))
            #expect(
                try w.store.read { tx in try tx.allocations(network: net.id) }.map(\.address).sorted() == [
                    "172.18.0.1", "172.18.0.3",
                ])
            #expect(try w.get(from: w.host.namespace, "127.0.0.1", 8080) == nil)
            try await w.engine.disconnect(endpoint: epB.id)
            try await w.engine.removeNetwork("n1")
            #expect(!(try w.host.sh("ip -o link show").stdout.contains(bridge)))
        }
    }

    @Test func networksAreIsolatedAndInternalHasNoWayOut() async throws {
        try await World.with { w in
            try await w.engine.start()
            _ = try await w.engine.createNetwork(NetworkCreateSpec(name: "left"))
            _ = try await w.engine.createNetwork(NetworkCreateSpec(name: "right"))
            let quiet = try await w.engine.createNetwork(NetworkCreateSpec(name: "quiet", internal: true))
            let l = try w.sandbox("l")
            let r = try w.sandbox("r")
            let q = try w.sandbox("q")
            let q2 = try w.sandbox("q2")
            let epL = try await w.engine.connect(
                EndpointRequest(network: "left", ownerId: "l", ownerName: "l", sandbox: l.path))
            let epR = try await w.engine.connect(
                EndpointRequest(network: "right", ownerId: "r", ownerName: "r", sandbox: r.path))
            let epQ2 = try await w.engine.connect(
                EndpointRequest(network: "quiet", ownerId: "q2", ownerName: "q2", sandbox: q2.path))
            _ = try await w.engine.connect(
                EndpointRequest(network: "quiet", ownerId: "q", ownerName: "q", sandbox: q.path))
            // Both have ways out (to the host's uplink address) …
            #expect(try w.ping(from: l, World.uplinkAddress))
            #expect(try w.ping(from: r, World.uplinkAddress))
            // … but U4: not to each other.
            #expect(!(try w.ping(from: l, try #require(epR.ipv4))))
            #expect(!(try w.ping(from: r, try #require(epL.ipv4))))
            // Internal: neighbours yes, anything beyond the bridge no.
            #expect(try w.ping(from: q, try #require(epQ2.ipv4)))
            #expect(!(try w.sh(in: q, "ip route").stdout.contains("default")))
            #expect(!(try w.ping(from: q, World.uplinkAddress)))
            #expect(!(try w.ping(from: q, try #require(epL.ipv4))))
            _ = quiet
        }
    }

    @Test func embeddedDNSAnswersNamesOnSharedNetworksOnly() async throws {
        try await World.with { w in
            try await w.engine.start()
            _ = try await w.engine.createNetwork(NetworkCreateSpec(name: "mynet"))
            _ = try await w.engine.createNetwork(NetworkCreateSpec(name: "othernet"))
            let db = try w.sandbox("db")
            let client = try w.sandbox("client")
            let stranger = try w.sandbox("stranger")
            let plain = try w.sandbox("plain")
            let epDB = try await w.engine.connect(
                EndpointRequest(network: "mynet", ownerId: "db-id-0123456789", ownerName: "db", sandbox: db.path, aliases: ["database"]))
            _ = try await w.engine.connect(EndpointRequest(network: "mynet", ownerId: "client-id", ownerName: "client", sandbox: client.path))
            _ = try await w.engine.connect(EndpointRequest(network: "othernet", ownerId: "s-id", ownerName: "stranger", sandbox: stranger.path))
            _ = try await w.engine.connect(EndpointRequest(network: "bridge", ownerId: "p-id", ownerName: "plain", sandbox: plain.path))
            let ipDB = try #require(epDB.ipv4)

            // U2: by name and by alias, from the resolver at 127.0.0.11, case-insensitively.
            #expect(try await w.shAsync(in: client, "timeout 5 busybox nslookup db 127.0.0.11").stdout.contains(ipDB))
            #expect(try await w.shAsync(in: client, "timeout 5 busybox nslookup DataBase 127.0.0.11").stdout.contains(ipDB))
            // A container joining while client's view is cached (the queries above) is seen by the
            // very next query.
            let late = try w.sandbox("late")
            let epLate = try await w.engine.connect(EndpointRequest(network: "mynet", ownerId: "late-id", ownerName: "late", sandbox: late.path))
            #expect(try await w.shAsync(in: client, "timeout 5 busybox nslookup late 127.0.0.11").stdout.contains(try #require(epLate.ipv4)))
            // U3: the redirect pair lives in the container's namespace.
            let rules = try await w.shAsync(in: client, "nft list table ip berth-dns").stdout
            #expect(rules.contains("udp dport 53 dnat to 127.0.0.11:"))
            // U4: a container on another network cannot resolve it.
            #expect(!(try await w.shAsync(in: stranger, "timeout 5 busybox nslookup db 127.0.0.11").stdout.contains(ipDB)))
            // B6: the default bridge gets no embedded resolver.
            #expect(!(try await w.shAsync(in: plain, "nft list tables").stdout.contains("berth-dns")))
            // Disconnecting removes the name at once (no 600 s TTL to wait out).
            try await w.engine.disconnect(endpoint: epDB.id)
            #expect(!(try await w.shAsync(in: client, "timeout 5 busybox nslookup db 127.0.0.11").stdout.contains(ipDB)))
            // The last endpoint of db on a user network is gone: so is its resolver.
            #expect(!(try await w.shAsync(in: db, "nft list tables").stdout.contains("berth-dns")))
        }
    }

    @Test func restartReconcilesEndpointsWhoseSandboxDied() async throws {
        try await World.with { w in
            try await w.engine.start()
            let net = try await w.engine.createNetwork(NetworkCreateSpec(name: "n1"))
            let a = try w.sandbox("a")
            let b = try w.sandbox("b")
            let epA = try await w.engine.connect(
                EndpointRequest(
                    network: "n1", ownerId: "a-id", ownerName: "a", sandbox: a.path,
                    ports: [PortRequest(hostPort: 8088, containerPort: 80)]))
            let epB = try await w.engine.connect(EndpointRequest(network: "n1", ownerId: "b-id", ownerName: "b", sandbox: b.path))
            // A's container dies while berthd is down: its namespace (and so its veth pair) is gone.
            try a.delete()
            // berthd starts again on the same state.
            let restarted = NetworkEngine(
                config: w.engine.config, store: w.store, kernel: try LinuxNetworkKernel(host: w.host.namespace),
                firewall: NftablesDriver(namespace: w.host.namespace), dns: w.dns)
            let report = try await restarted.start()
            #expect(report.undone.contains { $0.contains(epA.hostInterface) })
            #expect(try await restarted.endpoints(network: net.id).map(\.id) == [epB.id])
            #expect(try await restarted.portMappings().isEmpty)
            #expect(!(try w.host.sh("nft list table ip \(w.table)").stdout.contains("8088")))
            let held = try w.store.read { tx in try tx.allocations(network: net.id) }.map(\.address).sorted()
            #expect(held == ["172.18.0.1", try #require(epB.ipv4)])
            // B still works: the network and its neighbour's address survived.
            #expect(try w.ping(from: b, try #require(net.gateway)))
            try await restarted.disconnect(endpoint: epB.id)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
