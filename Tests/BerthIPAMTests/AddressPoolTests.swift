import BerthAddressing
import BerthCore
import Foundation
import Testing

@testable import BerthIPAM

@Suite struct AddressPoolTests {
    @Test func dockerDefaultsStartAt172_17AndSkip172_16() {
        let subnets = AddressPool.dockerDefaults.flatMap { Array($0.subnets) }.map(\.description)
        #expect(subnets.first == "172.17.0.0/16")
        #expect(!subnets.contains("172.16.0.0/16"))
        #expect(subnets[1] == "172.18.0.0/16")
        #expect(subnets[14] == "172.31.0.0/16")
        #expect(subnets[15] == "192.168.0.0/20")
        #expect(subnets[16] == "192.168.16.0/20")
        #expect(subnets.last == "192.168.240.0/20")
        #expect(subnets.count == 15 + 16)
    }

    @Test func sizeSmallerThanBasePrefixIsRejected() {
        let e = berthError { _ = try AddressPool.parse(base: "10.10.0.0/16", size: 8) }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message.contains("size must be at least the base's prefix length (16)") == true)
    }

    @Test func sizeWithNoRoomForContainersIsRejected() {
        #expect(
            berthError { _ = try AddressPool.parse(base: "10.10.0.0/16", size: 31) }?.message.contains("30 or less")
                == true)
    }

    @Test func baseWithHostBitsSuggestsTheNetwork() {
        let e = berthError { _ = try AddressPool.parse(base: "172.17.0.0/12", size: 16) }
        #expect(e?.message.contains("did you mean 172.16.0.0/12?") == true)
    }

    @Test func splitsIntoSubnetsOfTheGivenSize() throws {
        let pool = try AddressPool.parse(base: "10.10.0.0/22", size: 24)
        #expect(pool.subnetCount == 4)
        #expect(pool.subnets.map(\.description) == ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"])
    }

    @Test func codesAsDockerJSON() throws {
        let pool = try AddressPool.parse(base: "10.10.0.0/16", size: 24)
        let data = try JSONEncoder().encode(pool)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"base\":\"10.10.0.0\\/16\"") || text.contains("\"base\":\"10.10.0.0/16\""))
        #expect(try JSONDecoder().decode(AddressPool.self, from: data) == pool)
        #expect(throws: BerthError.self) {
            try JSONDecoder().decode(AddressPool.self, from: Data(#"{"base":"10.10.0.0/16","size":4}"#.utf8))
        }
    }
}
