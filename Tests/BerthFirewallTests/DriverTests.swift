import BerthCore
import BerthSystem
import BerthTestSupport
import Testing

@testable import BerthFirewall

/// The real driver against the real kernel, always inside scratch namespaces so the host's ruleset is
/// never read or changed.
@Suite("nftables driver (privileged)") struct DriverTests {
    /// A table name no other test or berth instance uses.
    static func uniqueTable() -> String { "bt" + TestSupport.randomHex(8) }

    @Test func checkModeAcceptsEveryGeneratedScript() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        // The FORWARD-drop batch appends to the host's iptables-nft chain, which must exist for nft.
        let docker =
            "table ip filter {\nchain FORWARD {\ntype filter hook forward priority filter; policy drop;\n}\n}\n"
        let setup = try scratch.namespace.run { try Subprocess.run(["nft", "-f", "-"], input: Array(docker.utf8)) }
        try #require(setup.succeeded, "\(setup.stderr)")
        var scripts = Fixture.states.map { ($0.0, RulesetBuilder.build($0.1)) }
        scripts.append(("dns redirect", DNSRedirect(udpPort: 35031, tcpPort: 39527).script))
        scripts.append(("dns redirect (new namespace)", DNSRedirect(udpPort: 35031, tcpPort: 39527).createScript))
        scripts.append(("removal", RulesetBuilder.removal(table: "berth")))
        for (name, script) in scripts {
            let r = try scratch.namespace.run {
                try Subprocess.run(["nft", "-c", "-f", "-"], input: Array(script.utf8))
            }
            #expect(r.succeeded, "nft -c rejected the \(name) script: \(r.stderr)")
        }
    }

    @Test func dnsRedirectCreateRefusesAnExistingTableWhichTheReplaceThenUpdates() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        let driver = NftablesDriver(namespace: scratch.namespace)
        try driver.apply(script: DNSRedirect(udpPort: 31001, tcpPort: 31002).createScript, table: "berth-dns")
        #expect(throws: (any Error).self) {
            try driver.apply(script: DNSRedirect(udpPort: 32001, tcpPort: 32002).createScript, table: "berth-dns")
        }
        // The refused batch changed nothing: the first redirect is whole, and not doubled.
        var listed = try driver.listRuleset(table: "berth-dns")
        #expect(listed.ranges(of: "127.0.0.11:31001").count == 1)
        #expect(!listed.contains("32001"))
        try driver.apply(script: DNSRedirect(udpPort: 32001, tcpPort: 32002).script, table: "berth-dns")
        listed = try driver.listRuleset(table: "berth-dns")
        #expect(listed.contains("127.0.0.11:32001") && listed.contains("127.0.0.11:32002"))
        #expect(!listed.contains("31001"))
    }

    @Test func applyReplacesTheTableAndRemoveIsIdempotent() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        let driver = NftablesDriver(namespace: scratch.namespace)
        let table = Self.uniqueTable()
        var state = FirewallState(
            table: table, networks: [Fixture.web, Fixture.vault], ports: [Fixture.http, Fixture.dns])
        try driver.apply(state)
        let listed = try driver.listRuleset(table: table)
        // The kernel holds what the builder wrote, tags included.
        #expect(listed.contains("8080 comment \"\(table):ep:e0e0aaaa0001\" : 172.18.0.2 . 80"))
        #expect(listed.contains("5353 comment \"\(table):ep:e0e0bbbb0002\" : 172.18.0.3 . 53"))
        #expect(
            listed.contains(
                "oifname != \"br-aaaa11112222\" ip saddr 172.18.0.0/16 counter packets 0 bytes 0 masquerade comment \"\(table):net:aaaa11112222\""
            ))
        #expect(listed.contains("chain to-cccc55556666"))

        // Unpublishing a port patches the map: the element is gone, nothing is doubled.
        state.ports = [Fixture.dns]
        try driver.apply(state)
        let replaced = try driver.listRuleset(table: table)
        #expect(!replaced.contains("8080"))
        #expect(replaced.ranges(of: "chain forward {").count == 1)
        let tables = try scratch.sh("nft list tables").stdout
        #expect(tables.ranges(of: "table ip \(table)\n").count == 1)

        // Every drop is counted, so a user can see which rule stopped a packet.
        // So are the DNAT and masquerade rules, so `berth trace` can show which ones a connection took.
        let all = try driver.counters(table: table)
        #expect(all.allSatisfy { $0.packets == 0 })
        let counters = all.filter { $0.chain.hasPrefix("from-") || $0.chain.hasPrefix("to-") }
        #expect(counters.count == 4)
        #expect(counters.allSatisfy { $0.comment?.hasPrefix("\(table):net:") == true })
        #expect(
            Set(counters.map(\.chain)) == [
                "from-aaaa11112222", "to-aaaa11112222", "from-cccc55556666", "to-cccc55556666",
            ])
        #expect(all.filter { $0.chain == "published" }.count == 4)
        #expect(all.filter { $0.chain == "postrouting" }.count == 3)  // the non-internal network's three
        #expect(all.count == 11)

        try driver.remove(table: table)
        let gone = #expect(throws: BerthError.self) { try driver.listRuleset(table: table) }
        #expect(gone?.code == .notFound)
        try driver.remove(table: table)  // already gone is success
    }

    /// Port changes patch the maps; the table ends exactly as a rebuild would make it, and a table
    /// changed behind berth's back is rebuilt instead of patched wrongly.
    @Test func portChangesPatchTheMapsAndEndAsARebuildWould() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        let driver = NftablesDriver(namespace: scratch.namespace)
        let table = Self.uniqueTable()
        let rebuilt = Self.uniqueTable()
        func lines(_ t: String) throws -> Set<String> {
            Set(try driver.listRuleset(table: t).split(separator: "\n").map {
                String($0.trimmingPrefix(while: \.isWhitespace)).replacing(t, with: "T")
            })
        }
        try driver.apply(FirewallState(table: table, networks: [Fixture.web, Fixture.vault], ports: [Fixture.http]))
        let handleBefore = try scratch.sh("nft -a list chain ip \(table) forward").stdout
        let next = [Fixture.dns, Fixture.httpsLoopback, Fixture.udpOnAddress]
        try driver.apply(FirewallState(table: table, networks: [Fixture.web, Fixture.vault], ports: next))
        // Patched, not replaced: the base chain kept its handle.
        #expect(try scratch.sh("nft -a list chain ip \(table) forward").stdout == handleBefore)
        let fresh = NftablesDriver(namespace: scratch.namespace)
        try fresh.apply(FirewallState(table: rebuilt, networks: [Fixture.web, Fixture.vault], ports: next))
        #expect(try lines(table) == lines(rebuilt))

        // Someone deletes berth's map element by hand: the next patch would fail, so berth rebuilds.
        let tamper = try scratch.sh("nft delete element ip \(table) pub-udp { 5353 }")
        try #require(tamper.succeeded, "\(tamper.stderr)")
        try driver.apply(FirewallState(table: table, networks: [Fixture.web, Fixture.vault], ports: [Fixture.http]))
        try fresh.apply(FirewallState(table: rebuilt, networks: [Fixture.web, Fixture.vault], ports: [Fixture.http]))
        #expect(try lines(table) == lines(rebuilt))
        #expect(try driver.listRuleset(table: table).contains("8080"))
        try driver.remove(table: table)
        try driver.remove(table: rebuilt)
    }

    @Test func aRefusedBatchLeavesThePreviousRulesInForce() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        let driver = NftablesDriver(namespace: scratch.namespace)
        let table = Self.uniqueTable()
        try driver.apply(FirewallState(table: table, networks: [Fixture.web], ports: [Fixture.http]))
        let before = try driver.listRuleset(table: table)

        // A replacement that empties the table and then fails half-way must change nothing.
        let broken =
            RulesetBuilder.tableScript(FirewallState(table: table)) + "add rule ip \(table) forward no-such-thing\n"
        let error = try #require(throws: BerthError.self) { try driver.apply(script: broken, table: table) }
        #expect(error.code == .system)
        #expect(error.message.contains("table ip \(table)"))
        #expect(error.cause?.contains("Error") == true)
        #expect(try driver.listRuleset(table: table) == before)

        // An invalid state never reaches nft.
        let invalid = #expect(throws: BerthError.self) {
            try driver.apply(FirewallState(table: table, networks: [], ports: [Fixture.http]))
        }
        #expect(invalid?.code == .notFound)
        #expect(try driver.listRuleset(table: table) == before)
    }

    @Test func hostForwardDropGetsNarrowRulesRemovedWithTheirNetwork() throws {
        let scratch = try ScratchNamespace()
        defer { scratch.close() }
        let driver = NftablesDriver(namespace: scratch.namespace)
        #expect(try driver.hostForwardPolicyIsDrop() == false)  // no ip filter table at all

        // What iptables-nft leaves behind on a Docker host: a FORWARD chain with a foreign rule.
        let docker = """
            table ip filter {
                chain FORWARD {
                    type filter hook forward priority filter; policy accept;
                    iifname "docker0" accept comment "docker-owned"
                }
            }

            """
        try scratch.namespace.run {
            let r = try Subprocess.run(["nft", "-f", "-"], input: Array(docker.utf8))
            try #require(r.succeeded, "\(r.stderr)")
        }
        #expect(try driver.hostForwardPolicyIsDrop() == false)
        try scratch.sh("nft 'add chain ip filter FORWARD { policy drop; }'")
        #expect(try driver.hostForwardPolicyIsDrop() == true)

        let a = Self.uniqueTable()
        let b = Self.uniqueTable()
        let forward = { try scratch.sh("nft list chain ip filter FORWARD").stdout }
        try driver.apply(
            FirewallState(table: a, networks: [Fixture.web, Fixture.vault], hostForwardPolicyIsDrop: true))
        #expect(try driver.hostRuleHandles(table: a).count == 4)
        #expect(
            try forward().contains(
                "iifname \"br-cccc55556666\" oifname \"br-cccc55556666\" accept comment \"\(a):net:cccc55556666\""))
        // Re-applying replaces berth's rules instead of piling up copies.
        try driver.apply(
            FirewallState(table: a, networks: [Fixture.web, Fixture.vault], hostForwardPolicyIsDrop: true))
        #expect(try driver.hostRuleHandles(table: a).count == 4)
        // A second instance beside it (a test next to a live berthd) keeps its own rules.
        try driver.apply(FirewallState(table: b, networks: [Fixture.db], hostForwardPolicyIsDrop: true))
        #expect(try driver.hostRuleHandles(table: b).count == 3)
        #expect(try driver.hostRuleHandles(table: a).count == 4)

        // Removing the internal network removes exactly its rule.
        try driver.apply(FirewallState(table: a, networks: [Fixture.web], hostForwardPolicyIsDrop: true))
        #expect(try driver.hostRuleHandles(table: a).count == 3)
        #expect(try !forward().contains("cccc55556666"))
        #expect(try driver.hostRuleHandles(table: b).count == 3)

        try driver.remove(table: a)
        #expect(try driver.hostRuleHandles(table: a).isEmpty)
        #expect(try driver.hostRuleHandles(table: b).count == 3)
        try driver.remove(table: b)
        let rest = try forward()
        #expect(rest.contains("iifname \"docker0\" accept comment \"docker-owned\""))
        #expect(rest.contains("policy drop;"))
        #expect(!rest.contains(a) && !rest.contains(b))
    }

    /// For issue 4: inside a container's namespace, a query to 127.0.0.11:53 reaches the resolver on its
    /// random ports and the answer comes back from port 53.
    @Test func dnsRedirectAnswersOnPort53() throws {
        let lab = try Lab()
        defer { lab.close() }
        try lab.namespace("c")
        try lab.startServer(in: "c", address: "127.0.0.11", tcpPort: 39527, udpPort: 35031)
        #expect(lab.probe(from: "c", .udp, "127.0.0.11", 53, timeout: 0.5) == nil)
        try NftablesDriver(namespace: lab["c"].namespace).apply(
            script: DNSRedirect(udpPort: 35031, tcpPort: 39527).script, table: "berth-dns")
        #expect(lab.probe(from: "c", .udp, "127.0.0.11", 53) == "c 127.0.0.1 @127.0.0.11:53")
        #expect(lab.probe(from: "c", .tcp, "127.0.0.11", 53) == "c 127.0.0.1 @127.0.0.11:53")
    }
}
