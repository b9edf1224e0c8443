import BerthAddressing
import BerthCore
import Testing

@testable import BerthIPAM

@Suite struct SubnetAllocatorTests {
    let allocator = SubnetAllocator()
    let defaults = AddressPool.dockerDefaults
    let bridge = ExistingSubnet(name: "bridge", subnet: net("172.17.0.0/16"))

    @Test func firstNetworkGets172_17() throws {
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [], hostRoutes: []) == net("172.17.0.0/16"))
    }

    @Test func userNetworksStartAt172_18BesideTheDefaultBridge() throws {
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [bridge], hostRoutes: []) == net("172.18.0.0/16"))
        let mynet = ExistingSubnet(name: "mynet", subnet: net("172.18.0.0/16"))
        #expect(
            try allocator.pickSubnet(pools: defaults, inUse: [bridge, mynet], hostRoutes: []) == net("172.19.0.0/16"))
    }

    @Test func freedSubnetIsTakenAgainFirst() throws {
        // Pool order, not creation history: a gap left by a removed network is filled first.
        let inUse = [bridge, ExistingSubnet(name: "b", subnet: net("172.19.0.0/16"))]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: inUse, hostRoutes: []) == net("172.18.0.0/16"))
    }

    @Test func skipsSubnetsCoveredByHostRoutes() throws {
        let routes = [HostRoute(destination: net("172.18.0.0/16"), interface: "eth1")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [bridge], hostRoutes: routes) == net("172.19.0.0/16"))
    }

    @Test func aSmallerRouteInsideACandidateBlocksIt() throws {
        let routes = [HostRoute(destination: net("172.18.5.0/24"), interface: "wg0")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [bridge], hostRoutes: routes) == net("172.19.0.0/16"))
    }

    @Test func aHostRouteOfOneAddressBlocksItsSubnet() throws {
        let routes = [HostRoute(destination: net("172.18.200.7/32"), interface: "tun0")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [bridge], hostRoutes: routes) == net("172.19.0.0/16"))
    }

    @Test func defaultRouteBlocksNothing() throws {
        let routes = [HostRoute(destination: net("0.0.0.0/0"), interface: "eth0")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [bridge], hostRoutes: routes) == net("172.18.0.0/16"))
    }

    @Test func aRouteCoveringAll172PrivateSpaceRollsOverTo192_168() throws {
        let routes = [HostRoute(destination: net("172.16.0.0/12"), interface: "vpn0")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: [], hostRoutes: routes) == net("192.168.0.0/20"))
    }

    @Test func after172_31ComeThe192_168Slash20s() throws {
        let taken = (17...31).map { ExistingSubnet(name: "n\($0)", subnet: net("172.\($0).0.0/16")) }
        #expect(try allocator.pickSubnet(pools: defaults, inUse: taken, hostRoutes: []) == net("192.168.0.0/20"))
        // A home LAN on 192.168.1.0/24 pushes the choice to the next /20.
        let lan = [HostRoute(destination: net("192.168.1.0/24"), interface: "eth0")]
        #expect(try allocator.pickSubnet(pools: defaults, inUse: taken, hostRoutes: lan) == net("192.168.16.0/20"))
    }

    @Test func tinyCustomPoolRunsOutWithAnExplainingError() throws {
        let pools = [try AddressPool.parse(base: "10.9.0.0/29", size: 30)]
        let first = try allocator.pickSubnet(pools: pools, inUse: [], hostRoutes: [])
        #expect(first == net("10.9.0.0/30"))
        let one = [ExistingSubnet(name: "a", subnet: first)]
        let second = try allocator.pickSubnet(pools: pools, inUse: one, hostRoutes: [])
        #expect(second == net("10.9.0.4/30"))
        let e = berthError {
            _ = try allocator.pickSubnet(
                pools: pools, inUse: one + [ExistingSubnet(name: "b", subnet: second)], hostRoutes: [])
        }
        #expect(e?.code == .exhausted)
        #expect(e?.message.contains("10.9.0.0/29 in /30s") == true)
        #expect(e?.message.contains("berth network prune") == true)
        #expect(e?.message.contains("--subnet") == true)
        #expect(e?.message.contains("default-address-pools") == true)
    }

    @Test func noPoolsAtAllIsExhaustion() {
        let e = berthError { _ = try allocator.pickSubnet(pools: [], inUse: [], hostRoutes: []) }
        #expect(e?.code == .exhausted)
        #expect(e?.message.contains("--subnet") == true)
    }

    @Test func searchJumpsPastLargeBlockers() throws {
        // 4 194 304 candidate /30s; a blocker over the first half must not be walked /30 by /30.
        let pools = [try AddressPool.parse(base: "10.0.0.0/8", size: 30)]
        let inUse = [ExistingSubnet(name: "big", subnet: net("10.0.0.0/9"))]
        let routes = [HostRoute(destination: net("10.128.0.0/30")), HostRoute(destination: net("10.128.0.4/32"))]
        #expect(try allocator.pickSubnet(pools: pools, inUse: inUse, hostRoutes: routes) == net("10.128.0.8/30"))
    }

    @Test func laterPoolsAreUsedWhenEarlierOnesAreFull() throws {
        let pools = [
            try AddressPool.parse(base: "10.1.0.0/24", size: 24), try AddressPool.parse(base: "10.2.0.0/16", size: 24),
        ]
        let inUse = [ExistingSubnet(name: "a", subnet: net("10.1.0.0/24"))]
        #expect(try allocator.pickSubnet(pools: pools, inUse: inUse, hostRoutes: []) == net("10.2.0.0/24"))
    }

    // MARK: user subnets

    @Test func userSubnetOverlappingANetworkNamesIt() {
        let mynet = ExistingSubnet(name: "mynet", subnet: net("172.18.0.0/16"))
        let e = berthError {
            try allocator.validateUserSubnet(net("172.18.0.0/16"), inUse: [bridge, mynet], hostRoutes: [])
        }
        #expect(e?.code == .conflict)
        #expect(e?.message.hasPrefix("subnet 172.18.0.0/16 overlaps network \"mynet\" (172.18.0.0/16)") == true)
        let partial = berthError {
            try allocator.validateUserSubnet(net("172.16.0.0/12"), inUse: [mynet], hostRoutes: [])
        }
        #expect(partial?.message.hasPrefix("subnet 172.16.0.0/12 overlaps network \"mynet\"") == true)
    }

    @Test func userSubnetOverlappingAHostRouteNamesTheInterface() {
        let routes = [HostRoute(destination: net("192.168.1.0/24"), interface: "eth0")]
        let e = berthError { try allocator.validateUserSubnet(net("192.168.0.0/16"), inUse: [], hostRoutes: routes) }
        #expect(e?.code == .conflict)
        #expect(e?.message.hasPrefix("subnet 192.168.0.0/16 overlaps the host route 192.168.1.0/24 on eth0") == true)
        let anonymous = berthError {
            try allocator.validateUserSubnet(
                net("192.168.1.0/25"), inUse: [], hostRoutes: [HostRoute(destination: net("192.168.1.0/24"))])
        }
        #expect(anonymous?.message.hasPrefix("subnet 192.168.1.0/25 overlaps the host route 192.168.1.0/24;") == true)
    }

    @Test func networksAreReportedBeforeTheirBridgeRoutes() {
        let mynet = ExistingSubnet(name: "mynet", subnet: net("172.18.0.0/16"))
        let routes = [HostRoute(destination: net("172.18.0.0/16"), interface: "br-0123456789ab")]
        let e = berthError {
            try allocator.validateUserSubnet(net("172.18.0.0/24"), inUse: [mynet], hostRoutes: routes)
        }
        #expect(e?.message.contains("network \"mynet\"") == true)
    }

    @Test func userSubnetBesideTheDefaultRouteAndOtherNetworksIsFine() throws {
        let routes = [
            HostRoute(destination: net("0.0.0.0/0"), interface: "eth0"),
            HostRoute(destination: net("10.0.2.0/24"), interface: "eth0"),
        ]
        try allocator.validateUserSubnet(net("10.99.0.0/16"), inUse: [bridge], hostRoutes: routes)
    }

    // MARK: whole decisions

    @Test func chooseWithoutSubnetPicksFromPoolsWithGatewayDotOne() throws {
        let a = try allocator.chooseAddressing(
            subnet: nil, gateway: nil, ipRange: nil, pools: defaults, inUse: [bridge], hostRoutes: [])
        #expect(a.subnet == net("172.18.0.0/16"))
        #expect(a.gateway == ip("172.18.0.1"))
        #expect(a.ipRange == nil)
    }

    @Test func chooseWithUserValues() throws {
        let a = try allocator.chooseAddressing(
            subnet: "10.50.0.0/16", gateway: "10.50.255.254", ipRange: "10.50.1.0/24", pools: defaults, inUse: [bridge],
            hostRoutes: [])
        #expect(a.gatewayInterface.description == "10.50.255.254/16")
        #expect(a.ipRange == net("10.50.1.0/24"))
    }

    @Test func gatewayOrRangeWithoutSubnetIsRejected() {
        let e = berthError {
            _ = try allocator.chooseAddressing(
                subnet: nil, gateway: "10.0.0.1", ipRange: nil, pools: defaults, inUse: [], hostRoutes: [])
        }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message.hasPrefix("--gateway needs --subnet") == true)
        let r = berthError {
            _ = try allocator.chooseAddressing(
                subnet: nil, gateway: nil, ipRange: "10.0.0.0/24", pools: defaults, inUse: [], hostRoutes: [])
        }
        #expect(r?.message.hasPrefix("--ip-range needs --subnet") == true)
    }

    @Test func chooseChecksUserSubnetForOverlap() {
        let e = berthError {
            _ = try allocator.chooseAddressing(
                subnet: "172.17.0.0/24", gateway: nil, ipRange: nil, pools: defaults, inUse: [bridge], hostRoutes: [])
        }
        #expect(e?.code == .conflict)
        #expect(e?.message.contains("network \"bridge\"") == true)
    }

    // MARK: default bridge

    @Test func defaultBridgePrefers172_17() throws {
        let a = try allocator.defaultBridgeAddressing(bip: nil, pools: defaults, inUse: [], hostRoutes: [])
        #expect(a.gatewayInterface.description == "172.17.0.1/16")
    }

    @Test func defaultBridgeMovesWhenTheHostAlreadyUses172_17() throws {
        let routes = [HostRoute(destination: net("172.17.0.0/16"), interface: "docker0")]
        let a = try allocator.defaultBridgeAddressing(bip: nil, pools: defaults, inUse: [], hostRoutes: routes)
        #expect(a.gatewayInterface.description == "172.18.0.1/16")
    }

    @Test func defaultBridgeUsesBip() throws {
        let bip = try #require(IPv4Interface("10.200.0.254/24"))
        let a = try allocator.defaultBridgeAddressing(bip: bip, pools: defaults, inUse: [], hostRoutes: [])
        #expect(a.subnet == net("10.200.0.0/24"))
        #expect(a.gateway == ip("10.200.0.254"))
        let clash = berthError {
            _ = try allocator.defaultBridgeAddressing(
                bip: bip, pools: defaults, inUse: [ExistingSubnet(name: "lab", subnet: net("10.200.0.0/16"))],
                hostRoutes: [])
        }
        #expect(clash?.code == .conflict)
        #expect(clash?.message.contains("network \"lab\"") == true)
    }
}
