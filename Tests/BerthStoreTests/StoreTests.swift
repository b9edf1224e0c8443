import BerthCore
import BerthStore
import BerthSystem
import Testing

@Suite struct StoreTests {
    func tempStore() throws -> (Store, String) {
        let dir = "/tmp/berth-store-\(Identifier.random().prefix(8))"
        try FileSystem.makeDirectories(dir)
        return (try Store(path: dir + "/berth.db"), dir)
    }

    func net(_ name: String, state: NetworkRecord.State = .ready) -> NetworkRecord {
        NetworkRecord(
            id: Identifier.random(), name: name, driver: "bridge", bridge: "br-x", subnet: "172.18.0.0/16",
            gateway: "172.18.0.1", ipRange: nil, mtu: 1500, internal: false, attachable: true, predefined: false,
            options: ["a": "b"], labels: ["k": "v"], created: "2026-11-23T00:00:00Z", state: state)
    }

    @Test func roundTripAndReopen() throws {
        let (store, dir) = try tempStore()
        defer { _ = try? Subprocess.run(["rm", "-rf", dir]) }
        let n = net("mynet", state: .creating)
        try store.write { tx in try tx.save(n) }
        // A second handle on the same file (a restarted daemon) sees the intent record.
        let reopened = try Store(path: dir + "/berth.db")
        let back = try reopened.read { tx in try tx.network(name: "mynet") }
        #expect(back == n)
    }

    @Test func namesAreUniqueAndTransactionsAtomic() throws {
        let (store, dir) = try tempStore()
        defer { _ = try? Subprocess.run(["rm", "-rf", dir]) }
        try store.write { tx in try tx.save(net("a")) }
        #expect(throws: BerthError.self) {
            try store.write { tx in
                try tx.save(net("b"))
                try tx.save(net("a"))  // duplicate name: the whole transaction rolls back
            }
        }
        #expect(try store.read { tx in try tx.networks() }.map(\.name) == ["a"])
    }

    @Test func releaseCounterIncreases() throws {
        let (store, dir) = try tempStore()
        defer { _ = try? Subprocess.run(["rm", "-rf", dir]) }
        let n = net("a")
        try store.write { tx in
            try tx.save(n)
            try tx.recordRelease(network: n.id, address: "172.18.0.5")
            try tx.recordRelease(network: n.id, address: "172.18.0.3")
        }
        let rel = try store.read { tx in try tx.releases(network: n.id) }.sorted { $0.sequence < $1.sequence }
        #expect(rel.map(\.address) == ["172.18.0.5", "172.18.0.3"])
    }

    func endpoint(_ n: NetworkRecord, _ name: String) -> EndpointRecord {
        EndpointRecord(
            id: Identifier.random(), networkId: n.id, ownerId: Identifier.random(), ownerName: name, sandbox: "/run/x",
            hostInterface: "veth" + Identifier.random().prefix(7), sandboxInterface: "eth0", ipv4: "172.18.0.2",
            prefixLength: 16, mac: "02:42:ac:12:00:02", aliases: [], state: .ready)
    }

    func mapping(_ ep: EndpointRecord, _ host: Int, _ container: Int, proto: String = "tcp", ip: String = "") -> PortMappingRecord {
        PortMappingRecord(
            endpointId: ep.id, networkId: ep.networkId, proto: proto, hostIP: ip, hostPort: host, containerIP: "172.18.0.2",
            containerPort: container)
    }

    /// `-p 23000-23999:20000-20999` is one stored row, and reads back as the thousand ports it stands for, in
    /// order, between single ports that do not continue a run (a gap, another protocol, address or target).
    @Test func portRangesAreOneRowAndReadBackPerPort() throws {
        let (store, dir) = try tempStore()
        defer { _ = try? Subprocess.run(["rm", "-rf", dir]) }
        let n = net("a")
        let ep = endpoint(n, "web")
        let other = endpoint(n, "db")
        var wanted = [mapping(ep, 8080, 80)]
        wanted += (0..<1000).map { mapping(ep, 23000 + $0, 20000 + $0) }
        wanted += [
            mapping(ep, 24000, 30000),  // host port continues, container port does not
            mapping(ep, 24001, 30001, proto: "udp"),  // another protocol
            mapping(ep, 24002, 30002, proto: "udp", ip: "127.0.0.1"),  // another address
            mapping(ep, 24004, 30004),  // a gap
            mapping(ep, 24005, 30005),
        ]
        try store.write { [wanted] tx in
            try tx.save(n)
            try tx.save(ep)
            try tx.save(other)
            try tx.insert(portMappings: wanted)
            try tx.insert(portMappings: [mapping(other, 5432, 5432)])
        }
        let rows = try store.read { tx in try tx.portMappingRows(endpoint: ep.id) }
        #expect(rows.map(\.count) == [1, 1000, 1, 1, 1, 2])
        #expect(rows[1].hostPort == 23000 && rows[1].containerPort == 20000)
        #expect(try store.read { tx in try tx.portMappings(endpoint: ep.id) } == wanted)
        #expect(try store.read { tx in try tx.portMappings() }.count == wanted.count + 1)
        // Reopened (a restarted berthd), the same ports.
        let reopened = try Store(path: dir + "/berth.db")
        #expect(try reopened.read { tx in try tx.portMappings(endpoint: ep.id) } == wanted)
        try store.write { tx in try tx.deletePortMappings(endpoint: ep.id) }
        #expect(try store.read { tx in try tx.portMappings() }.map(\.endpointId) == [other.id])
    }

    @Test func coalescingKeepsEveryPortAndItsOrder() {
        let ep = endpoint(net("a"), "web")
        let ports = [
            mapping(ep, 100, 10), mapping(ep, 101, 11), mapping(ep, 102, 12),
            mapping(ep, 90, 9),  // lower: starts a new run
            mapping(ep, 103, 13),  // continues 100-102 only in value, not in order: a new run
        ]
        let rows = PortMappingRecord.coalesced(ports)
        #expect(rows.map(\.count) == [3, 1, 1])
        #expect(rows.flatMap(\.expanded) == ports)
        #expect(PortMappingRecord.coalesced([]).isEmpty)
    }
}
