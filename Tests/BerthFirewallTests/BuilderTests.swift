import BerthAddressing
import BerthCore
import Testing

@testable import BerthFirewall

@Suite("ruleset builder") struct BuilderTests {
    @Test func outputDoesNotDependOnInputOrder() {
        let a = FirewallState(
            networks: [Fixture.web, Fixture.db, Fixture.vault],
            ports: [Fixture.http, Fixture.dns, Fixture.httpsLoopback, Fixture.udpOnAddress])
        let b = FirewallState(
            networks: [Fixture.vault, Fixture.web, Fixture.db],
            ports: [Fixture.udpOnAddress, Fixture.httpsLoopback, Fixture.dns, Fixture.http])
        #expect(RulesetBuilder.build(a) == RulesetBuilder.build(b))
    }

    @Test func everyRuleCarriesAnOwnerTag() {
        let state = Fixture.states.first { $0.0 == "three networks and ports" }!.1
        let script = RulesetBuilder.build(state)
        // Rule lines are the ones with a verdict or a NAT statement; each must be tagged.
        let verdicts = ["accept", "drop", "return", "jump", "masquerade", "dnat"]
        let rules = script.split(separator: "\n").filter { line in
            !line.contains("policy") && verdicts.contains { line.contains(" \($0)") || line.hasPrefix($0) }
        }
        #expect(rules.count > 20)
        for rule in rules {
            #expect(rule.contains("comment \"berth"), "untagged rule: \(rule)")
        }
    }

    @Test func tagsNameTheTableSoInstancesNeverClaimEachOthersRules() {
        let state = FirewallState(table: "bt42", networks: [Fixture.web])
        #expect(state.tag(network: Fixture.web.id) == "bt42:net:aaaa11112222")
        #expect(state.tag(endpoint: Fixture.endpointA) == "bt42:ep:e0e0aaaa0001")
        #expect(state.owns(comment: "bt42:net:aaaa11112222"))
        #expect(state.owns(comment: "bt42"))
        #expect(!state.owns(comment: "bt421:net:aaaa11112222"))
        #expect(!state.owns(comment: "berth:net:aaaa11112222"))
        let script = RulesetBuilder.build(state)
        #expect(script.hasPrefix("table ip bt42 {}\ndelete table ip bt42\ntable ip bt42 {\n"))
        #expect(!script.contains("\"berth"))
    }

    @Test func internalNetworksPublishNothing() {
        let port = PublishedPort(
            networkId: Fixture.vault.id, endpointId: Fixture.endpointA, hostPort: 9000,
            containerIP: Fixture.ip("172.20.0.2"), containerPort: 80)
        let script = RulesetBuilder.build(FirewallState(networks: [Fixture.vault], ports: [port]))
        #expect(!script.contains("9000"))
        #expect(!script.contains("masquerade"))
    }

    @Test func unspecifiedHostAddressMeansEveryAddress() {
        var port = Fixture.http
        port.hostIP = .any
        let script = RulesetBuilder.build(FirewallState(networks: [Fixture.web], ports: [port]))
        #expect(script.contains("8080 comment \"berth:ep:e0e0aaaa0001\" : 172.18.0.2 . 80,"))
        #expect(!script.contains("0.0.0.0"))
    }

    @Test func hostRuleRemovalComesFirstInTheSameBatch() {
        let state = FirewallState(networks: [Fixture.web], hostForwardPolicyIsDrop: true)
        let script = RulesetBuilder.build(state, removingHostRules: [7, 9])
        let lines = script.split(separator: "\n")
        #expect(lines[0] == "delete rule ip filter FORWARD handle 7")
        #expect(lines[1] == "delete rule ip filter FORWARD handle 9")
        #expect(lines[2] == "table ip berth {}")
        #expect(
            lines.last
                == "add rule ip filter FORWARD oifname \"br-aaaa11112222\" ct status dnat accept comment \"berth:net:aaaa11112222\""
        )
        // Stale rules go even when the policy is no longer drop (Docker stopped): nothing is added then.
        let relaxed = RulesetBuilder.build(FirewallState(networks: [Fixture.web]), removingHostRules: [7])
        #expect(relaxed.hasPrefix("delete rule ip filter FORWARD handle 7\ntable ip berth {}\n"))
        #expect(!relaxed.contains("add rule"))
    }

    @Test func portDeltaTouchesOnlyChangedElements() throws {
        let base = FirewallState(table: "berth", networks: [Fixture.web, Fixture.vault], ports: [Fixture.http, Fixture.dns])
        var next = base
        next.ports = [Fixture.dns, Fixture.httpsLoopback]
        let delta = try #require(RulesetBuilder.portDelta(from: base, to: next))
        #expect(delta.split(separator: "\n").count == 2)
        #expect(delta.hasPrefix("delete element ip berth pub-tcp { 8080 }\n"))
        #expect(delta.contains("add element ip berth pub-tcp-addr { 127.0.0.1 . 8443 comment"))
        #expect(RulesetBuilder.portDelta(from: base, to: base) == "")
        // Anything but ports changed: only a rebuild will do.
        var otherNetworks = base
        otherNetworks.networks = [Fixture.web]
        #expect(RulesetBuilder.portDelta(from: base, to: otherNetworks) == nil)
        var dropPolicy = base
        dropPolicy.hostForwardPolicyIsDrop = true
        #expect(RulesetBuilder.portDelta(from: base, to: dropPolicy) == nil)
    }

    @Test func removalIsIdempotentByConstruction() {
        #expect(RulesetBuilder.removal(table: "berth") == "table ip berth {}\ndelete table ip berth\n")
        #expect(
            RulesetBuilder.removal(table: "berth", removingHostRules: [3])
                == "delete rule ip filter FORWARD handle 3\ntable ip berth {}\ndelete table ip berth\n")
    }
}

@Suite("firewall state validation") struct ValidationTests {
    func code(_ state: FirewallState) -> BerthError.Code? {
        do {
            try state.validate()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func representativeStatesAreValid() {
        for (name, state) in Fixture.states {
            #expect(code(state) == nil, "\(name)")
        }
    }

    @Test func aHostPortCanBePublishedOnce() {
        var twin = Fixture.http
        twin.endpointId = Fixture.endpointB
        twin.containerIP = Fixture.ip("172.18.0.3")
        #expect(code(FirewallState(networks: [Fixture.web], ports: [Fixture.http, twin])) == .conflict)
        // 0.0.0.0 is the same key as "no address".
        twin.hostIP = .any
        #expect(code(FirewallState(networks: [Fixture.web], ports: [Fixture.http, twin])) == .conflict)
        // Another protocol, or another specific address, is another key.
        twin.proto = .udp
        #expect(code(FirewallState(networks: [Fixture.web], ports: [Fixture.http, twin])) == nil)
        twin.proto = .tcp
        twin.hostIP = Fixture.ip("10.0.0.5")
        #expect(code(FirewallState(networks: [Fixture.web], ports: [Fixture.http, twin])) == nil)
    }

    @Test func theConflictMessageNamesThePortAndBothEndpoints() throws {
        var twin = Fixture.http
        twin.endpointId = Fixture.endpointB
        let error = try #require(throws: BerthError.self) {
            try FirewallState(networks: [Fixture.web], ports: [Fixture.http, twin]).validate()
        }
        #expect(error.message.contains("8080/tcp"))
        #expect(error.message.contains("e0e0aaaa0001") && error.message.contains("e0e0bbbb0002"))
    }

    @Test func badNamesAndReferencesAreRejected() throws {
        #expect(code(FirewallState(table: "1berth")) == .invalidArgument)
        #expect(code(FirewallState(table: "ber th")) == .invalidArgument)
        #expect(code(FirewallState(table: "")) == .invalidArgument)
        var quoted = Fixture.web
        quoted.bridge = try InterfaceName(validating: "br\"x")
        #expect(code(FirewallState(networks: [quoted])) == .invalidArgument)
        var shortId = Fixture.web
        shortId.id = "abc"
        #expect(code(FirewallState(networks: [shortId])) == .invalidArgument)
        var sameBridge = Fixture.db
        sameBridge.bridge = Fixture.web.bridge
        #expect(code(FirewallState(networks: [Fixture.web, sameBridge])) == .conflict)
        #expect(code(FirewallState(networks: [Fixture.web, Fixture.web])) == .conflict)
        #expect(code(FirewallState(networks: [], ports: [Fixture.http])) == .notFound)
        var outside = Fixture.http
        outside.containerIP = Fixture.ip("10.1.2.3")
        #expect(code(FirewallState(networks: [Fixture.web], ports: [outside])) == .invalidArgument)
        var zero = Fixture.http
        zero.hostPort = 0
        #expect(code(FirewallState(networks: [Fixture.web], ports: [zero])) == .invalidArgument)
    }

    @Test func duplicateKeysStillYieldALoadableScript() {
        // validate() refuses this state; the builder alone keeps the first mapping so nft would not
        // fail with "File exists" on a duplicate map key.
        var twin = Fixture.http
        twin.endpointId = Fixture.endpointB
        twin.containerIP = Fixture.ip("172.18.0.9")
        let script = RulesetBuilder.build(FirewallState(networks: [Fixture.web], ports: [twin, Fixture.http]))
        #expect(script.ranges(of: "8080 comment").count == 1)
        #expect(script.contains("8080 comment \"berth:ep:e0e0aaaa0001\" : 172.18.0.2 . 80,"))
    }
}

@Suite("DNS redirect (issue 4)") struct DNSRedirectTests {
    @Test func snapshot() {
        expectSnapshot(
            DNSRedirect(udpPort: 35031, tcpPort: 39527).script,
            """
            table ip berth-dns {}
            delete table ip berth-dns
            table ip berth-dns {
                chain output {
                    type nat hook output priority -100; policy accept;
                    ip daddr 127.0.0.11 udp dport 53 dnat ip to 127.0.0.11:35031 comment "berth-dns"
                    ip daddr 127.0.0.11 tcp dport 53 dnat ip to 127.0.0.11:39527 comment "berth-dns"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr 127.0.0.11 udp sport 35031 snat ip to 127.0.0.11:53 comment "berth-dns"
                    ip saddr 127.0.0.11 tcp sport 39527 snat ip to 127.0.0.11:53 comment "berth-dns"
                }
            }
            """)
    }
}

@Suite("nft JSON listings") struct ListingTests {
    /// `nft -j -a list chain ip filter FORWARD` as nft 1.0.6 prints it for a Docker-like chain with one
    /// foreign rule, one rule of table `berth` and one of another instance `berth2`.
    static let forward = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, \
        {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": \
        "forward", "prio": 0, "policy": "drop"}}, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", \
        "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "docker0"}}, \
        {"accept": null}]}}, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 3, \
        "comment": "berth:net:aaaa11112222", "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, \
        "right": "br-aaaa11112222"}}, {"counter": {"packets": 18446744073709551615, "bytes": 0}}, {"accept": null}]}}, \
        {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 4, "comment": "berth2:net:bbbb", \
        "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "br-x"}}, {"accept": null}]}}]}
        """

    @Test func readsPolicyHandlesCommentsAndCounters() throws {
        let listing = try NftListing(json: Self.forward)
        #expect(NftablesDriver.forwardPolicyIsDrop(listing))
        #expect(listing.rules.map(\.handle) == [2, 3, 4])
        #expect(listing.rules[1].comment == "berth:net:aaaa11112222")
        // 64-bit counters are read exactly.
        #expect(listing.rules[1].packets == UInt64.max)
        #expect(listing.rules[0].packets == nil)
        #expect(NftablesDriver.ownedRuleHandles(listing, table: "berth") == [3])
        #expect(NftablesDriver.ownedRuleHandles(listing, table: "berth2") == [4])
        #expect(NftablesDriver.ownedRuleHandles(listing, table: "bert") == [])
    }

    @Test func acceptPolicyIsNotDrop() throws {
        let listing = try NftListing(
            json: Self.forward.replacing("\"policy\": \"drop\"", with: "\"policy\": \"accept\""))
        #expect(!NftablesDriver.forwardPolicyIsDrop(listing))
    }

    @Test func jsonStringsAndErrors() throws {
        let v = try JSONValue.parse(#" {"a": ["x\"y\\z\u00e9\ud83d\ude00", -1.5e3, true, null, {}], "b": []} "#)
        #expect(v["a"]?.array?[0].string == "x\"y\\zé😀")
        #expect(v["a"]?.array?[1] == .number("-1.5e3"))
        #expect(v["b"]?.array?.isEmpty == true)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("{\"a\": }") }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("[1, 2") }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("{} x") }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(String(repeating: "[", count: 500)) }
    }
}

@Suite("fake driver") struct FakeDriverTests {
    @Test func recordsWhatTheRealDriverWouldApply() throws {
        let fake = FakeFirewallDriver(hostPolicyDrop: true)
        #expect(try fake.hostForwardPolicyIsDrop())
        let state = FirewallState(networks: [Fixture.web], ports: [Fixture.http])
        try fake.apply(state)
        #expect(fake.appliedStates == [state])
        #expect(fake.appliedScripts == [RulesetBuilder.build(state)])
        #expect(try fake.listRuleset(table: "berth").contains("8080 comment"))
        try fake.remove(table: "berth")
        #expect(fake.removedTables == ["berth"])
        #expect(throws: BerthError.self) { try fake.listRuleset(table: "berth") }
    }

    @Test func validatesAndFailsOnRequest() throws {
        let fake = FakeFirewallDriver()
        #expect(throws: BerthError.self) { try fake.apply(FirewallState(ports: [Fixture.http])) }
        fake.failAll(with: BerthError(.system, "nft refused"))
        #expect(throws: BerthError.self) { try fake.apply(FirewallState()) }
        #expect(fake.appliedStates.isEmpty)
        fake.failAll(with: nil)
        try fake.apply(FirewallState())
        #expect(fake.appliedStates.count == 1)
    }
}

/// `berth topology` reads published ports back from the kernel's maps (nft -j, nftables 1.0.6 output).
@Suite struct PublishedPortListingTests {
    @Test func mapElementsWithAndWithoutCommentsAndAddresses() throws {
        let json = #"""
            {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
             {"table": {"family": "ip", "name": "t1", "handle": 1}},
             {"map": {"family": "ip", "name": "pub-tcp", "table": "t1", "type": "inet_service", "handle": 1, "map": "ipv4_addr . inet_service",
               "elem": [[{"elem": {"val": 8080, "comment": "t1:ep:abc"}}, {"concat": ["172.18.0.2", 80]}], [9090, {"concat": ["172.18.0.3", 90]}]]}},
             {"map": {"family": "ip", "name": "pub-udp-addr", "table": "t1", "type": ["ipv4_addr", "inet_service"], "handle": 2, "map": "ipv4_addr . inet_service",
               "elem": [[{"elem": {"val": {"concat": ["127.0.0.1", 5353]}, "comment": "t1:ep:def"}}, {"concat": ["172.18.0.4", 53]}]]}},
             {"map": {"family": "ip", "name": "other", "table": "t1", "type": "inet_service", "handle": 3, "map": "ipv4_addr . inet_service",
               "elem": [[1, {"concat": ["10.0.0.1", 1]}]]}}]}
            """#
        let ports = try NftablesDriver.publishedPorts(json: json)
        #expect(ports == [
            ListedPublishedPort(proto: "tcp", hostIP: nil, hostPort: 8080, containerIP: "172.18.0.2", containerPort: 80, comment: "t1:ep:abc"),
            ListedPublishedPort(proto: "tcp", hostIP: nil, hostPort: 9090, containerIP: "172.18.0.3", containerPort: 90, comment: nil),
            ListedPublishedPort(proto: "udp", hostIP: "127.0.0.1", hostPort: 5353, containerIP: "172.18.0.4", containerPort: 53, comment: "t1:ep:def"),
        ])
    }
}
