import BerthAddressing
import BerthCore
import Foundation
import Testing

@testable import BerthIPAM

@Suite struct NetworkAddressingTests {
    @Test func gatewayDefaultsToTheFirstHostAddress() throws {
        let a = try NetworkAddressing(subnet: net("172.30.0.0/16"))
        #expect(a.gateway == ip("172.30.0.1"))
        #expect(a.gatewayInterface.description == "172.30.0.1/16")
        #expect(a.dynamicRange == net("172.30.0.0/16"))
        #expect(a.dynamicCapacity == 65536 - 3)
    }

    @Test func gatewayOutsideTheSubnet() {
        let e = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", gateway: "10.1.0.1") }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message == "gateway 10.1.0.1 is outside subnet 172.30.0.0/16")
    }

    @Test func gatewayOnTheNetworkOrBroadcastAddress() {
        let n = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", gateway: "172.30.0.0") }
        #expect(
            n?.message
                == "gateway 172.30.0.0 is the network address of subnet 172.30.0.0/16; "
                + "use a host address such as 172.30.0.1"
        )
        let b = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", gateway: "172.30.255.255") }
        #expect(b?.message.hasPrefix("gateway 172.30.255.255 is the broadcast address of subnet 172.30.0.0/16") == true)
    }

    @Test func malformedGatewayAndRangeText() {
        let g = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", gateway: "172.30.0.300") }
        #expect(g?.message.hasPrefix("invalid gateway \"172.30.0.300\"") == true)
        let r = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", ipRange: "172.30.5.1/24") }
        #expect(r?.message.contains("did you mean 172.30.5.0/24?") == true)
        let s = berthError { _ = try NetworkAddressing.parse(subnet: "mynet") }
        #expect(s?.message.hasPrefix("invalid subnet \"mynet\"") == true)
    }

    @Test(arguments: ["10.0.0.0/31", "10.0.0.1/32"])
    func subnetsWithNoRoomAreRejected(_ subnet: String) {
        let e = berthError { _ = try NetworkAddressing.parse(subnet: subnet) }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message.contains("is too small") == true)
    }

    @Test func aSlash30HoldsOneContainer() throws {
        let a = try NetworkAddressing.parse(subnet: "10.0.0.0/30")
        #expect(a.gateway == ip("10.0.0.1"))
        #expect(a.dynamicCapacity == 1)
    }

    @Test func ipRangeMustLieInsideTheSubnet() {
        let outside = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", ipRange: "10.0.0.0/24") }
        #expect(outside?.message == "ip-range 10.0.0.0/24 is not inside subnet 172.30.0.0/16")
        let larger = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", ipRange: "172.30.0.0/15") }
        #expect(larger?.message == "ip-range 172.30.0.0/15 is not inside subnet 172.30.0.0/16")
    }

    @Test func ipRangeHoldingOnlyTheGatewayIsRejected() {
        let e = berthError { _ = try NetworkAddressing.parse(subnet: "172.30.0.0/16", ipRange: "172.30.0.1/32") }
        #expect(e?.message.hasPrefix("ip-range 172.30.0.1/32 holds no address a container can get") == true)
    }

    @Test func reservedAddresses() throws {
        let a = try NetworkAddressing.parse(subnet: "10.1.2.0/24", gateway: "10.1.2.254")
        #expect(a.isReserved(ip("10.1.2.0")))
        #expect(a.isReserved(ip("10.1.2.255")))
        #expect(a.isReserved(ip("10.1.2.254")))
        #expect(!a.isReserved(ip("10.1.2.1")))
    }

    @Test func codesWithDockerIPAMConfigKeys() throws {
        let a = try NetworkAddressing.parse(subnet: "172.30.0.0/16", gateway: "172.30.0.254", ipRange: "172.30.8.0/24")
        let data = try JSONEncoder().encode(a)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(object == ["Subnet": "172.30.0.0/16", "Gateway": "172.30.0.254", "IPRange": "172.30.8.0/24"])
        #expect(try JSONDecoder().decode(NetworkAddressing.self, from: data) == a)
        let bad = Data(#"{"Subnet":"172.30.0.0/16","Gateway":"10.1.0.1"}"#.utf8)
        #expect(throws: BerthError.invalid("gateway 10.1.0.1 is outside subnet 172.30.0.0/16")) {
            try JSONDecoder().decode(NetworkAddressing.self, from: bad)
        }
    }
}
