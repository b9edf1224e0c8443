import BerthAddressing
import BerthCore
import BerthEngine
import BerthFirewall
import BerthIPAM
import BerthStore
import BerthSystem
import BerthTestSupport
import Testing

/// Tier 1: the engine's logic against fakes (no kernel). Real-kernel behaviour is in EngineKernelTests.
@Suite struct NetworkEngineTests {
    struct Env {
        let dir: String
        let store: Store
        let kernel = FakeKernel()
        let firewall = FakeFirewallDriver()
        let engine: NetworkEngine

        init() throws {
            dir = "/tmp/berth-unit-\(TestSupport.randomHex(8))"
            try FileSystem.makeDirectories(dir)
            store = try Store(path: dir + "/berth.db")
            engine = NetworkEngine(
                config: EngineConfig(root: dir, run: dir), store: store, kernel: kernel, firewall: firewall)
        }
        func close() { TestSupport.removeTree(dir) }
    }

    @Test func startCreatesPredefinedNetworks() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        let nets = try await env.engine.networks()
        #expect(Set(nets.map(\.name)) == ["bridge", "host", "none"])
        let bridge = try #require(nets.first { $0.name == "bridge" })
        #expect(bridge.bridge == "berth0")
        #expect(bridge.subnet == "172.17.0.0/16")
        #expect(bridge.gateway == "172.17.0.1")
        #expect(bridge.mtu == 1400)  // the default route's interface MTU
        #expect(env.kernel.links["berth0"] == "bridge")
        #expect(env.firewall.currentState()?.networks.map(\.bridge.value) == ["berth0"])
        // Starting again changes nothing.
        try await env.engine.start()
        #expect(try await env.engine.networks().count == 3)
    }

    @Test func defaultBridgeAvoidsSubnetTakenOnHost() async throws {
        let env = try Env()
        defer { env.close() }
        // Docker's docker0 already holds 172.17.0.0/16 on this host.
        env.kernel.routes = [HostRoute(destination: try #require(IPv4Network("172.17.0.0/16")), interface: "docker0")]
        try await env.engine.start()
        let bridge = try await env.engine.network("bridge")
        #expect(bridge.subnet == "172.18.0.0/16")
    }

    @Test func userNetworksTakeNextFreeSubnet() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        let a = try await env.engine.createNetwork(NetworkCreateSpec(name: "mynet"))
        #expect(a.subnet == "172.18.0.0/16")
        #expect(a.gateway == "172.18.0.1")
        #expect(a.bridge == "br-" + a.id.prefix(12))
        #expect(a.state == .ready)
        let b = try await env.engine.createNetwork(NetworkCreateSpec(name: "other"))
        #expect(b.subnet == "172.19.0.0/16")
        #expect(env.firewall.currentState()?.networks.count == 3)
    }

    @Test func badInputChangesNothing() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        _ = try await env.engine.createNetwork(NetworkCreateSpec(name: "mynet", subnet: "10.10.0.0/16"))
        let before = env.kernel.links
        await #expect(throws: BerthError.self) {
            try await env.engine.createNetwork(NetworkCreateSpec(name: "mynet"))  // name in use
        }
        await #expect(throws: BerthError.self) {
            try await env.engine.createNetwork(NetworkCreateSpec(name: "x", subnet: "10.10.5.0/24"))  // overlap
        }
        await #expect(throws: BerthError.self) {
            try await env.engine.createNetwork(NetworkCreateSpec(name: "y", subnet: "10.20.0.0/16", gateway: "10.30.0.1"))
        }
        await #expect(throws: BerthError.self) {
            try await env.engine.createNetwork(NetworkCreateSpec(name: "bad name!"))
        }
        await #expect(throws: BerthError.self) {
            try await env.engine.createNetwork(NetworkCreateSpec(name: "z", options: [NetworkEngine.mtuOption: "nine"]))
        }
        #expect(env.kernel.links == before)
        #expect(try await env.engine.networks().count == 4)
        do {
            _ = try await env.engine.createNetwork(NetworkCreateSpec(name: "x", subnet: "10.10.5.0/24"))
        } catch let e as BerthError {
            #expect(e.code == .conflict)
            #expect(e.message.contains("mynet"))
        }
    }

    @Test func failureHalfwayIsUndone() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        env.firewall.failAll(with: BerthError(.system, "fake nft refused"))
        await #expect(throws: BerthError.self) { try await env.engine.createNetwork(NetworkCreateSpec(name: "doomed")) }
        env.firewall.failAll(with: nil)
        try await env.engine.start()
        #expect(try await env.engine.networks().map(\.name).sorted() == ["bridge", "host", "none"])
        #expect(env.kernel.links.keys.sorted() == ["berth0"])
        #expect(env.firewall.currentState()?.networks.count == 1)
    }

    @Test func reconcilerUndoesHalfMadeNetwork() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        // As if berthd was killed after making the bridge, before marking the network ready.
        let half = NetworkRecord(
            id: Identifier.random(), name: "half", driver: "bridge", bridge: "br-halfmade000", subnet: "172.30.0.0/16",
            gateway: "172.30.0.1", ipRange: nil, mtu: 1500, internal: false, attachable: false, predefined: false,
            options: [:], labels: [:], created: Clock.rfc3339Now(), state: .creating)
        try env.store.write { tx in
            try tx.save(half)
            try tx.insert(AddressAllocationRecord(networkId: half.id, address: "172.30.0.1", owner: ""))
        }
        try env.kernel.ensureBridge(
            BridgeSpec(name: "br-halfmade000", gateway: try #require(IPv4Interface("172.30.0.1/16")), mtu: 1500))
        let restarted = NetworkEngine(config: env.engine.config, store: env.store, kernel: env.kernel, firewall: env.firewall)
        let report = try await restarted.start()
        #expect(report.undone == ["network half"])
        #expect(env.kernel.links["br-halfmade000"] == nil)
        #expect(try env.store.read { tx in try tx.allocations(network: half.id) }.isEmpty)
        #expect(try await restarted.networks().count == 3)
    }

    @Test func removeRefusesPredefinedAndUnknown() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        do {
            try await env.engine.removeNetwork("bridge")
            Issue.record("removing the default bridge must fail")
        } catch let e as BerthError { #expect(e.code == .forbidden) }
        do {
            try await env.engine.removeNetwork("nope")
            Issue.record("removing an unknown network must fail")
        } catch let e as BerthError {
            #expect(e.code == .notFound)
            #expect(e.message == "network nope not found")
        }
        let n = try await env.engine.createNetwork(NetworkCreateSpec(name: "gone"))
        try await env.engine.removeNetwork(String(n.id.prefix(5)))
        #expect(env.kernel.links[n.bridge ?? ""] == nil)
        #expect(try await env.engine.networks().count == 3)
    }

    @Test func pruneRemovesOnlyUnusedUserNetworks() async throws {
        let env = try Env()
        defer { env.close() }
        try await env.engine.start()
        _ = try await env.engine.createNetwork(NetworkCreateSpec(name: "a", labels: ["keep": "no"]))
        _ = try await env.engine.createNetwork(NetworkCreateSpec(name: "b"))
        let removed = try await env.engine.pruneNetworks { $0.labels["keep"] == "no" }
        #expect(removed == ["a"])
        #expect(try await env.engine.networks().map(\.name).sorted() == ["b", "bridge", "host", "none"])
    }
}
