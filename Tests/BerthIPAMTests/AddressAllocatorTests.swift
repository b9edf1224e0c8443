import BerthAddressing
import BerthCore
import Testing

@testable import BerthIPAM

@Suite struct AddressAllocatorTests {
    func allocator(_ subnet: String, gateway: String? = nil, ipRange: String? = nil) throws -> AddressAllocator {
        AddressAllocator(
            networkID: "n1", networkName: "mynet",
            addressing: try NetworkAddressing.parse(subnet: subnet, gateway: gateway, ipRange: ipRange))
    }

    @Test func dynamicAddressesAscendAndSkipTheGateway() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        let got = try (1...3).map { i throws(BerthError) in try a.allocate(owner: "ep\(i)", store: store) }
        #expect(got == [ip("172.18.0.2"), ip("172.18.0.3"), ip("172.18.0.4")])
        #expect(store.addressAllocations(network: "n1") == [got[0]: "ep1", got[1]: "ep2", got[2]: "ep3"])
    }

    @Test func aFullNetworkNeverHandsOutReservedAddresses() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("10.1.2.0/24", gateway: "10.1.2.254")
        var seen: Set<IPv4Address> = []
        for i in 0..<253 {
            seen.insert(try a.allocate(owner: "ep\(i)", store: store))
        }
        #expect(seen.count == 253)
        #expect(seen.min() == ip("10.1.2.1"))
        #expect(seen.max() == ip("10.1.2.253"))
        #expect(!seen.contains(ip("10.1.2.0")) && !seen.contains(ip("10.1.2.254")) && !seen.contains(ip("10.1.2.255")))
        let e = berthError { _ = try a.allocate(owner: "one-too-many", store: store) }
        #expect(e?.code == .exhausted)
        #expect(
            e?.message.hasPrefix("no free address left in network \"mynet\" (10.1.2.0/24): all 253 addresses") == true)
    }

    @Test func dynamicAddressesComeFromTheIPRange() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.28.0.0/16", ipRange: "172.28.5.0/30")
        // Inside a /16, 172.28.5.0 is an ordinary host address, and Docker hands it out too.
        let got = try (0..<4).map { i throws(BerthError) in try a.allocate(owner: "ep\(i)", store: store) }
        #expect(got.map(\.description) == ["172.28.5.0", "172.28.5.1", "172.28.5.2", "172.28.5.3"])
        let e = berthError { _ = try a.allocate(owner: "more", store: store) }
        #expect(e?.code == .exhausted)
        #expect(e?.message.contains("ip-range 172.28.5.0/30 of network \"mynet\"") == true)
    }

    @Test func releasedAddressesAreReusedLastOldestReleaseFirst() throws {
        let store = InMemoryAddressStore()
        // 10.0.0.0/29: .0 network, .1 gateway, .7 broadcast; .2–.6 for containers.
        let a = try allocator("10.0.0.0/29")
        #expect(try a.allocate(owner: "a", store: store) == ip("10.0.0.2"))
        #expect(try a.allocate(owner: "b", store: store) == ip("10.0.0.3"))
        #expect(try a.allocate(owner: "c", store: store) == ip("10.0.0.4"))
        try a.release(ip("10.0.0.3"), store: store)
        try a.release(ip("10.0.0.2"), store: store)
        // Never-used addresses first, even though lower ones are free again.
        #expect(try a.allocate(owner: "d", store: store) == ip("10.0.0.5"))
        #expect(try a.allocate(owner: "e", store: store) == ip("10.0.0.6"))
        // Then the released ones, in the order they were released.
        #expect(try a.allocate(owner: "f", store: store) == ip("10.0.0.3"))
        #expect(try a.allocate(owner: "g", store: store) == ip("10.0.0.2"))
        #expect(berthError { _ = try a.allocate(owner: "h", store: store) }?.code == .exhausted)
    }

    @Test func aRestartedContainerDoesNotGetItsPredecessorsAddress() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        let first = try a.allocate(owner: "old", store: store)
        try a.release(first, store: store)
        #expect(try a.allocate(owner: "new", store: store) != first)
    }

    @Test func staticAddressesAreCheckedAndRecorded() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16", ipRange: "172.18.1.0/24")
        // Anywhere in the subnet, even outside the ip-range, as in Docker.
        try a.allocate(specific: ip("172.18.0.5"), owner: "web", store: store)
        #expect(store.addressAllocations(network: "n1")[ip("172.18.0.5")] == "web")

        let taken = berthError { try a.allocate(specific: ip("172.18.0.5"), owner: "db", store: store) }
        #expect(taken?.code == .conflict)
        #expect(
            taken?.message.hasPrefix("address 172.18.0.5 is already in use by another endpoint on network \"mynet\"")
                == true)

        let outside = berthError { try a.allocate(specific: ip("10.0.0.5"), owner: "db", store: store) }
        #expect(outside?.code == .invalidArgument)
        #expect(outside?.message == "address 10.0.0.5 is outside subnet 172.18.0.0/16 of network \"mynet\"")

        let gateway = berthError { try a.allocate(specific: ip("172.18.0.1"), owner: "db", store: store) }
        #expect(gateway?.message.hasPrefix("address 172.18.0.1 is the gateway of network \"mynet\"") == true)
        let network = berthError { try a.allocate(specific: ip("172.18.0.0"), owner: "db", store: store) }
        #expect(network?.message.hasPrefix("address 172.18.0.0 is the network address") == true)
        let broadcast = berthError { try a.allocate(specific: ip("172.18.255.255"), owner: "db", store: store) }
        #expect(broadcast?.message.hasPrefix("address 172.18.255.255 is the broadcast address") == true)
        #expect(store.addressAllocations(network: "n1").count == 1)
    }

    @Test func askingAgainForYourOwnStaticAddressIsHarmless() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        try a.allocate(specific: ip("172.18.0.9"), owner: "web", store: store)
        try a.allocate(specific: ip("172.18.0.9"), owner: "web", store: store)
        #expect(store.addressAllocations(network: "n1") == [ip("172.18.0.9"): "web"])
    }

    @Test func dynamicAllocationSkipsStaticAddresses() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        try a.allocate(specific: ip("172.18.0.2"), owner: "s1", store: store)
        try a.allocate(specific: ip("172.18.0.4"), owner: "s2", store: store)
        #expect(try a.allocate(owner: "d1", store: store) == ip("172.18.0.3"))
        #expect(try a.allocate(owner: "d2", store: store) == ip("172.18.0.5"))
    }

    @Test func aReleasedAddressCanBeClaimedStatically() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        let x = try a.allocate(owner: "old", store: store)
        try a.release(x, store: store)
        try a.allocate(specific: x, owner: "new", store: store)
        #expect(store.addressAllocations(network: "n1")[x] == "new")
    }

    @Test func releaseIsIdempotent() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        let x = try a.allocate(owner: "ep", store: store)
        #expect(try a.release(x, store: store))
        let logged = store.addressReleases(network: "n1")
        #expect(try !a.release(x, store: store))
        #expect(try !a.release(ip("172.18.9.9"), store: store))
        #expect(try !a.release(ip("172.18.0.1"), store: store))
        // A repeated release does not move the address in the reuse order.
        #expect(store.addressReleases(network: "n1") == logged)
        #expect(store.addressAllocations(network: "n1").isEmpty)
    }

    @Test func releaseAllFreesOnlyThatOwnersAddresses() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        let mine = try a.allocate(owner: "ep1", store: store)
        try a.allocate(specific: ip("172.18.3.3"), owner: "ep1", store: store)
        let theirs = try a.allocate(owner: "ep2", store: store)
        #expect(try a.releaseAll(owner: "ep1", store: store) == [mine, ip("172.18.3.3")])
        #expect(store.addressAllocations(network: "n1") == [theirs: "ep2"])
    }

    @Test func networksDoNotShareAddresses() throws {
        let store = InMemoryAddressStore()
        let one = try allocator("172.18.0.0/16")
        let two = AddressAllocator(networkID: "n2", networkName: "other", addressing: one.addressing)
        #expect(try one.allocate(owner: "a", store: store) == ip("172.18.0.2"))
        #expect(try two.allocate(owner: "b", store: store) == ip("172.18.0.2"))
        store.removeNetwork("n1")
        #expect(store.addressAllocations(network: "n1").isEmpty)
        #expect(store.addressAllocations(network: "n2").count == 1)
    }

    @Test func thousandsOfContainersOnASlash16() throws {
        let store = InMemoryAddressStore()
        let a = try allocator("172.18.0.0/16")
        var handedOut: [IPv4Address] = []
        for i in 0..<3000 { handedOut.append(try a.allocate(owner: "ep\(i)", store: store)) }
        #expect(handedOut == handedOut.sorted())  // ascending, never reused
        #expect(Set(handedOut).count == 3000)
        #expect(handedOut.last == ip("172.18.11.185"))  // 172.18.0.2 + 2999
        #expect(store.addressAllocations(network: "n1").count == 3000)
    }

    @Test func storeFailuresNameTheNetwork() throws {
        struct Broken: AddressStore {
            struct DiskFull: Error {}
            func addressAllocations(network: String) throws -> [IPv4Address: String] { throw DiskFull() }
            func addressReleases(network: String) throws -> [IPv4Address: Int64] { [:] }
            func insertAddressAllocation(_ address: IPv4Address, network: String, owner: String) throws {}
            func releaseAddressAllocation(_ address: IPv4Address, network: String) throws -> Bool { false }
        }
        let a = try allocator("172.18.0.0/16")
        let e = berthError { _ = try a.allocate(owner: "ep", store: Broken()) }
        #expect(e?.code == .system)
        #expect(e?.message == "cannot read the address allocations on network \"mynet\"")
        #expect(e?.cause?.contains("DiskFull") == true)
    }
}
