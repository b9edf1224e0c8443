import BerthAddressing
import BerthCore
import Foundation
import Testing

@testable import BerthIPAM

@Suite struct DaemonNetworkConfigTests {
    /// Writes `text` to a throwaway file, runs `body` with its path, and removes it.
    func withConfigFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bt-ipam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("daemon.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }

    @Test func missingFileGivesDockersDefaults() throws {
        let c = try DaemonNetworkConfig.load(path: "/nonexistent/bt-\(UUID().uuidString)/daemon.json")
        #expect(c.bip == nil)
        #expect(c.defaultAddressPools == AddressPool.dockerDefaults)
        #expect(c.mtu == nil)
        #expect(c.dns.isEmpty)
        #expect(c.warnings.isEmpty)
        #expect(c.defaultBridgeSubnet().description == "172.17.0.1/16")
        #expect(c.effectiveMTU(defaultRouteMTU: 9000) == 9000)
        #expect(c.effectiveMTU(defaultRouteMTU: nil) == 1500)
    }

    @Test func readsDockersKeys() throws {
        let c = try withConfigFile(
            """
            {
              "bip": "10.200.0.1/24",
              "default-address-pools": [{"base": "10.201.0.0/16", "size": 24}, {"base": "10.202.0.0/16", "size": 20}],
              "mtu": 1450,
              "dns": ["1.1.1.1", "2606:4700:4700::1111"],
              "log-driver": "json-file"
            }
            """
        ) { try DaemonNetworkConfig.load(path: $0) }
        #expect(c.bip?.description == "10.200.0.1/24")
        #expect(c.defaultAddressPools.map(\.description) == ["10.201.0.0/16 in /24s", "10.202.0.0/16 in /20s"])
        #expect(c.mtu == 1450)
        #expect(c.effectiveMTU(defaultRouteMTU: 9000) == 1450)
        #expect(c.dns.map(\.description) == ["1.1.1.1", "2606:4700:4700::1111"])
        #expect(c.defaultBridgeSubnet().description == "10.200.0.1/24")
        #expect(c.warnings.count == 1)
        #expect(c.warnings.first?.hasPrefix("unknown key \"log-driver\" in /") == true)
    }

    @Test func customPoolsMoveTheDefaultBridgeWhenBipIsUnset() throws {
        let c = try DaemonNetworkConfig.parse(
            Data(#"{"default-address-pools": [{"base": "10.201.0.0/16", "size": 24}]}"#.utf8), source: "test.json")
        #expect(c.defaultBridgeSubnet().description == "10.201.0.1/24")
    }

    @Test func emptyFileAndNullValuesMeanDefaults() throws {
        #expect(try DaemonNetworkConfig.parse(Data(" \n".utf8), source: "x") == DaemonNetworkConfig())
        #expect(
            try DaemonNetworkConfig.parse(Data(#"{"bip": null, "mtu": null}"#.utf8), source: "x")
                == DaemonNetworkConfig())
    }

    @Test func malformedJSONNamesTheFile() throws {
        let e = try withConfigFile(#"{"bip": "172.17.0.1/16" "mtu": 1500}"#) { path in
            (berthError { _ = try DaemonNetworkConfig.load(path: path) }, path)
        }
        #expect(e.0?.code == .invalidArgument)
        #expect(
            e.0?.message == "cannot parse \(e.1): line 1, column 25: expected ',' or '}' after the value of \"bip\"")
    }

    @Test(arguments: [
        (#"[1, 2]"#, "f.json must hold a JSON object"),
        (
            #"{"bip": "172.17.0.0/16"}"#,
            "bip 172.17.0.0/16 in f.json is a network address; bip is the default bridge's own address, "
                + "such as 172.17.0.1/16"
        ),
        (#"{"bip": "172.17.255.255/16"}"#, "bip 172.17.255.255/16 in f.json is a broadcast address"),
        (#"{"bip": "172.17.0.1"}"#, "bip \"172.17.0.1\" in f.json is not an IPv4 address with a prefix length"),
        (#"{"bip": "10.0.0.1/31"}"#, "bip 10.0.0.1/31 in f.json leaves no room for containers"),
        (#"{"bip": 17}"#, "bip in f.json must be a string"),
        (
            #"{"default-address-pools": [{"base": "10.10.0.0/16", "size": 8}]}"#,
            "default-address-pools[0] in f.json: address pool 10.10.0.0/16 cannot be split into /8 subnets"
        ),
        (
            #"{"default-address-pools": [{"base": "10.10.0.0/16", "size": 24}, "#
                + #"{"base": "10.300.0.0/16", "size": 24}]}"#,
            "default-address-pools[1] in f.json: invalid address pool base \"10.300.0.0/16\""
        ),
        (
            #"{"default-address-pools": [{"base": "10.10.0.0/16"}]}"#,
            "default-address-pools[0] in f.json needs \"size\""
        ),
        (#"{"default-address-pools": [{"size": 24}]}"#, "default-address-pools[0] in f.json needs \"base\""),
        (#"{"default-address-pools": []}"#, "default-address-pools in f.json is empty"),
        (
            #"{"default-address-pools": {"base": "10.10.0.0/16", "size": 24}}"#,
            "default-address-pools in f.json must be a list"
        ),
        (#"{"mtu": 10}"#, "mtu in f.json must be a whole number from 68 to 65535"),
        (#"{"mtu": "1500"}"#, "mtu in f.json must be a whole number"),
        (#"{"mtu": 1500.5}"#, "mtu in f.json must be a whole number"),
        (#"{"dns": ["1.1.1.1", "dns.google"]}"#, "dns entry \"dns.google\" in f.json is not an IP address"),
        (#"{"dns": "1.1.1.1"}"#, "dns in f.json must be a list of IP addresses"),
    ])
    func badValuesAreExplained(_ json: String, _ expected: String) {
        let e = berthError { _ = try DaemonNetworkConfig.parse(Data(json.utf8), source: "f.json") }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message.hasPrefix(expected) == true, "\(e?.message ?? "no error")")
    }

    @Test func trailingCommasAreRejectedWithTheirPosition() {
        let e = berthError { _ = try DaemonNetworkConfig.parse(Data("{\n  \"mtu\": 1500,\n}".utf8), source: "f.json") }
        #expect(e?.message == "cannot parse f.json: line 3, column 1: expected a key in double quotes")
    }

    @Test func unknownKeysInsidePoolsAreWarnedAbout() throws {
        let c = try DaemonNetworkConfig.parse(
            Data(#"{"default-address-pools": [{"base": "10.10.0.0/16", "size": 24, "scope": "local"}]}"#.utf8),
            source: "f.json")
        #expect(c.warnings == ["unknown key \"scope\" in default-address-pools[0] in f.json is ignored"])
    }

    @Test func roundTripsThroughJSON() throws {
        let c = try DaemonNetworkConfig.parse(
            Data(
                (#"{"bip": "10.200.0.1/24", "mtu": 1400, "dns": ["9.9.9.9"], "#
                    + #""default-address-pools": [{"base": "10.201.0.0/16", "size": 24}]}"#).utf8),
            source: "f.json")
        let again = try JSONDecoder().decode(DaemonNetworkConfig.self, from: JSONEncoder().encode(c))
        #expect(again == c)
    }
}
