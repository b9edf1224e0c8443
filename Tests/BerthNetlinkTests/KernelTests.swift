import BerthAddressing
import BerthCore
import BerthNetlink
import BerthSystem
import BerthTestSupport
import Testing

/// Real rtnetlink against the running kernel, inside throwaway namespaces (root only). Every check that
/// matters is confirmed independently with iproute2's JSON output or with ping.
@Suite("netlink against the kernel (privileged)") struct KernelTests {
    /// A bridge and a veth pair between two namespaces, wired the way a container is: lo up, bridge with
    /// MTU/MAC/address, veth peer created directly in the "container", port enslaved, addresses on both
    /// sides, default route via the bridge. Then traffic flows both ways.
    @Test func bridgeAndVethBetweenTwoNamespaces() throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let host = try NetlinkConnection(namespace: ns.a)
        let container = try NetlinkConnection(namespace: ns.b)
        let tag = TestSupport.randomHex(6)
        let bridgeName = "btbr\(tag)"
        let vethName = "btv\(tag)"
        let subnet = IPv4Network(IPv4Address(10, 77, UInt8.random(in: 0...255), 0), prefixLength: 24)
        let gateway = IPv4Interface(IPv4Address(subnet.network.value + 1), prefixLength: 24)
        let containerAddress = IPv4Interface(IPv4Address(subnet.network.value + 2), prefixLength: 24)
        let bridgeMAC = try #require(MACAddress("02:42:0a:4d:00:01"))

        // lo starts down in a new namespace.
        #expect(try host.link(named: "lo")?.isUp == false)
        try host.setUp("lo")
        try container.setUp("lo")
        #expect(try host.link(named: "lo")?.isUp == true)

        // Bridge: created, then MTU and MAC changed, then up. With no port it is up but has no carrier,
        // exactly like Docker's docker0 before the first container.
        let created = try host.createBridge(name: bridgeName)
        #expect(created.kind == .bridge)
        try host.setMTU(.name(bridgeName), to: 1400)
        try host.setMAC(.name(bridgeName), to: bridgeMAC)
        try host.setUp(.name(bridgeName))
        let bridge = try #require(try host.link(named: bridgeName))
        #expect(bridge.index == created.index)
        #expect(bridge.mtu == 1400)
        #expect(bridge.mac == bridgeMAC)
        #expect(bridge.isUp && !bridge.hasCarrier)

        // Veth: the peer goes straight into the container namespace and never exists in the host's.
        let hostEnd = try host.createVeth(name: vethName, peerName: "eth0", peerNamespace: ns.b, mtu: 1400)
        #expect(try host.link(named: "eth0") == nil)
        let peer = try #require(try container.link(named: "eth0"))
        #expect(peer.kind == .veth)
        #expect(peer.mtu == 1400)
        // The two ends name each other's index (`vethX@ifN` on the host, `eth0@ifM` inside).
        #expect(hostEnd.parentIndex == peer.index)
        #expect(peer.parentIndex == hostEnd.index)
        #expect(hostEnd.linkNetnsID != nil)
        #expect(hostEnd.displayName == "\(vethName)@if\(peer.index)")

        try host.setMaster(.name(vethName), master: .name(bridgeName))
        try host.setUp(.name(vethName))
        try container.setUp("eth0")
        try host.addAddress(gateway, to: .name(bridgeName))
        try container.addAddress(containerAddress, to: "eth0")
        try container.addDefaultRoute(via: gateway.address)

        // berth's own view.
        let port = try #require(try host.link(named: vethName))
        #expect(port.masterIndex == bridge.index)
        #expect(port.slaveKind == .bridge)
        let hostAddresses = try host.addresses(on: .name(bridgeName), family: .ipv4)
        #expect(hostAddresses.map(\.address) == [.v4(gateway)])
        #expect(hostAddresses.first?.broadcast == subnet.broadcast)
        #expect(hostAddresses.first?.scope == .universe)
        let routes = try container.routes()
        let defaultRoute = try #require(routes.first { $0.isDefault })
        #expect(defaultRoute.gateway == .v4(gateway.address))
        #expect(defaultRoute.outputInterface == peer.index)
        #expect(defaultRoute.protocol == .boot)
        // The kernel's connected route for the subnet is listed too.
        #expect(routes.contains { $0.destination == .v4(subnet) && $0.protocol == .kernel && $0.scope == .link })

        // The bridge gets carrier once its port's peer is up (linkwatch may take a moment).
        #expect(try eventually { try host.link(named: bridgeName)?.hasCarrier == true })
        #expect(try eventually { try host.link(named: bridgeName)?.operState == .up })

        // Independent check with iproute2.
        let links = try TestNamespaces.ipLinks(in: ns.a)
        let ipBridge = try #require(links.first { $0["ifname"] as? String == bridgeName })
        #expect(ipBridge["mtu"] as? Int == 1400)
        #expect(ipBridge["address"] as? String == bridgeMAC.description)
        let bridgeInfo = ipBridge["linkinfo"] as? [String: Any]
        #expect(bridgeInfo?["info_kind"] as? String == "bridge")
        #expect((bridgeInfo?["info_data"] as? [String: Any])?["stp_state"] as? Int == 0)
        let ipVeth = try #require(links.first { $0["ifname"] as? String == vethName })
        #expect(ipVeth["master"] as? String == bridgeName)
        #expect((ipVeth["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
        #expect(ipVeth["link_index"] as? Int == peer.index)
        let ipPeer = try #require(try TestNamespaces.ipLinks(in: ns.b).first { $0["ifname"] as? String == "eth0" })
        #expect(ipPeer["link_index"] as? Int == hostEnd.index)
        let ipAddr = try TestNamespaces.ipAddresses(in: ns.b).first { $0["ifname"] as? String == "eth0" }
        let addrInfo = ipAddr?["addr_info"] as? [[String: Any]] ?? []
        #expect(
            addrInfo.contains {
                $0["local"] as? String == "\(containerAddress.address)" && $0["prefixlen"] as? Int == 24
            })
        let ipDefault = try TestNamespaces.ipRoutes(in: ns.b).first { $0["dst"] as? String == "default" }
        #expect(ipDefault?["gateway"] as? String == "\(gateway.address)")
        #expect(ipDefault?["dev"] as? String == "eth0")

        // Traffic, only between our own namespaces.
        let toGateway = try TestNamespaces.run(["ping", "-c1", "-W1", "\(gateway.address)"], in: ns.b)
        #expect(
            toGateway.succeeded, "ping from the container to the bridge failed: \(toGateway.stdout)\(toGateway.stderr)")
        let toContainer = try TestNamespaces.run(["ping", "-c1", "-W1", "\(containerAddress.address)"], in: ns.a)
        #expect(
            toContainer.succeeded,
            "ping from the host to the container failed: \(toContainer.stdout)\(toContainer.stderr)")

        // Tearing down: the port leaves the bridge, the addresses go, deleting the host end removes the
        // peer too, and the bridge is back to NO-CARRIER (scenario B4).
        try host.setNoMaster(.name(vethName))
        #expect(try host.link(named: vethName)?.masterIndex == nil)
        try container.deleteAddress(containerAddress, from: "eth0")
        #expect(try container.addresses(on: "eth0", family: .ipv4).isEmpty)
        try container.deleteAddress(containerAddress, from: "eth0")  // already gone: success
        try host.deleteLink(named: vethName)
        #expect(try host.link(named: vethName) == nil)
        #expect(try container.link(named: "eth0") == nil)
        #expect(try eventually { try host.link(named: bridgeName)?.hasCarrier == false })
    }

    @Test func ipv6AddressesAndRoutes() throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let nl = try NetlinkConnection(namespace: ns.a)
        let bridge = try nl.createBridge(name: "bt6\(TestSupport.randomHex(4))")
        try nl.setUp(bridge.id)
        let address = try #require(IPv6Address("fd00:be27::1"))
        try nl.addAddress(.v6(address, prefixLength: 64), to: bridge.id, flags: .noDAD)
        let listed = try nl.addresses(on: bridge.id, family: .ipv6)
        #expect(listed.contains { $0.address == .v6(address, prefixLength: 64) && $0.flags.contains(.noDAD) })
        let ipAddr = try TestNamespaces.run(["ip", "-6", "addr", "show", "dev", bridge.name], in: ns.a)
        #expect(ipAddr.stdout.contains("fd00:be27::1/64"))
        // IPv6 routes are listed with their own family (the prefix route of the address; the bridge has no
        // carrier, so the kernel may mark it linkdown but still lists it).
        #expect(try nl.routes(family: .ipv6).contains { $0.destination?.description == "fd00:be27::/64" })
        try nl.deleteAddress(.v6(address, prefixLength: 64), from: bridge.id)
        #expect(try nl.addresses(on: bridge.id, family: .ipv6).allSatisfy { $0.address.address != .v6(address) })
    }

    @Test func renameMoveAndRoutesByOutputInterface() throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let a = try NetlinkConnection(namespace: ns.a)
        let b = try NetlinkConnection(namespace: ns.b)
        let tag = TestSupport.randomHex(6)
        // Both ends start in A; one is then moved to B (the older way, still needed for existing links).
        let end = try a.createVeth(name: "btx\(tag)", peerName: "bty\(tag)")
        let other = try #require(try a.link(named: "bty\(tag)"))
        #expect(end.parentIndex == other.index && other.parentIndex == end.index)
        #expect(end.linkNetnsID == nil)
        try a.moveLink(.name("bty\(tag)"), to: ns.b)
        #expect(try a.link(named: "bty\(tag)") == nil)
        let moved = try #require(try b.link(named: "bty\(tag)"))
        try b.rename(moved.id, to: "eth1")
        #expect(try b.link(named: "eth1")?.index == moved.index)
        let ip = try TestNamespaces.run(["ip", "-o", "link", "show", "eth1"], in: ns.b)
        #expect(ip.succeeded && ip.stdout.contains("eth1@"))

        // A directly attached route (scope link) and one with a metric, then deleted.
        try b.setUp("eth1")
        let net = try #require(IPv4Network("10.99.0.0/16"))
        try b.addRoute(destination: net, oif: "eth1", metric: 50)
        let route = try #require(try b.routes().first { $0.destination == .v4(net) })
        #expect(route.scope == .link)
        #expect(route.metric == 50)
        #expect(route.outputInterface == moved.index)
        try b.deleteRoute(destination: net, oif: "eth1")
        #expect(try b.routes().allSatisfy { $0.destination != .v4(net) })
        try b.deleteRoute(destination: net, oif: "eth1")  // already gone: success
        try b.deleteRoute(destination: net, oif: "btnothere")  // link gone: success
    }

    @Test func kernelRefusalsAreReadable() throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let nl = try NetlinkConnection(namespace: ns.a)
        let name = "btbr\(TestSupport.randomHex(6))"
        try nl.createBridge(name: name)

        let exists = try #require(throws: NetlinkError.self) { try nl.createBridge(name: name) }
        #expect(exists.errno == .EEXIST)
        #expect(
            exists.description.hasPrefix(
                "ip link add \(name) type bridge (in netns \(ns.a.path)): File exists (EEXIST)"))

        // Deleting what is not there succeeds (idempotent teardown).
        try nl.deleteLink(named: "btgone\(TestSupport.randomHex(4))")
        try nl.deleteLink(.index(999_999))

        let missing = try #require(throws: NetlinkError.self) { try nl.setMTU("btnope", to: 1400) }
        #expect(missing.errno == .ENODEV)

        // Extended ack: the kernel explains an unreachable gateway in its own words.
        let unreachable = try #require(throws: NetlinkError.self) {
            try nl.addDefaultRoute(via: IPv4Address(10, 9, 9, 9))
        }
        #expect(unreachable.errno == .ENETUNREACH)
        #expect(unreachable.kernelMessage == "Nexthop has invalid gateway")

        // A 16-byte name is refused by berth with a clear message; nothing is created.
        let long = "bt" + TestSupport.randomHex(14)
        let invalid = try #require(throws: BerthError.self) { try nl.createBridge(name: long) }
        #expect(invalid.code == .invalidArgument)
        #expect(try nl.links().allSatisfy { !$0.name.hasPrefix(String(long.prefix(15))) })
    }

    /// 200 links arrive over several datagrams (a multi-part dump) and all are listed.
    @Test func dumpOfTwoHundredLinks() throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let log = FakeKernelLog()
        let nl = NetlinkConnection(transport: CountingTransport(try NetlinkSocket(namespace: ns.a), log: log))
        var names: Set<String> = []
        for i in 0..<100 {
            let name = "btd\(i)a"
            try nl.createVeth(name: name, peerName: "btd\(i)b")
            names.insert(name)
            names.insert("btd\(i)b")
        }
        let before = log.receives
        let links = try nl.links()
        let datagrams = log.receives - before
        #expect(links.count == 201)  // and lo
        #expect(names.isSubset(of: Set(links.map(\.name))))
        #expect(datagrams > 2, "a dump of 200 links fit in \(datagrams) datagrams; expected several parts")
        #expect(Set(links.map(\.index)).count == links.count)
        // Cross-check the count with iproute2.
        #expect(try TestNamespaces.ipLinks(in: ns.a).count == 201)
    }

    /// One connection shared by many concurrent tasks: the lock keeps request/reply pairs together.
    @Test func concurrentUseOfOneConnection() async throws {
        let ns = try TestNamespaces()
        defer { ns.close() }
        let nl = try NetlinkConnection(namespace: ns.a)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let name = "btc\(i)"
                    try nl.createBridge(name: name)
                    try nl.setUp(.name(name))
                    #expect(try nl.link(named: name)?.isUp == true)
                    _ = try nl.links()
                }
            }
            try await group.waitForAll()
        }
        #expect(try nl.links().filter { $0.name.hasPrefix("btc") }.count == 16)
    }

    /// A connection without a namespace talks to the process's own; nothing is changed there.
    @Test func currentNamespaceConnectionReads() throws {
        try TestSupport.requireRoot()
        let nl = try NetlinkConnection()
        let links = try nl.links()
        #expect(links.contains { $0.name == "lo" && $0.flags.contains(.loopback) })
        #expect(try nl.link(index: 1)?.name == "lo")
        #expect(try nl.link(named: "btnone\(TestSupport.randomHex(4))") == nil)
    }
}
