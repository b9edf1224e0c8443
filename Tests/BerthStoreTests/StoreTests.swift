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
}
