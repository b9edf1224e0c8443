import Testing

@testable import BerthFirewall

/// The exact scripts berth hands to `nft -f -` for representative states. A change to the ruleset shows
/// up here as a readable diff; the privileged tests prove these same scripts load and behave.
@Suite("ruleset snapshots") struct SnapshotTests {
    /// With no network, the table holds only the shared plumbing: the four (empty) port maps and the
    /// base chains, so publishing the first port later changes map elements, not chains.
    @Test func emptyStateStillInstallsTheDispatch() {
        expectSnapshot(
            RulesetBuilder.build(FirewallState()),
            """
            table ip berth {}
            delete table ip berth
            table ip berth {
                set bridges {
                    type ifname
                }

                map pub-tcp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-tcp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                map pub-udp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-udp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain output {
                    type nat hook output priority -100; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain published {
                    counter dnat ip to ip daddr . tcp dport map @pub-tcp-addr comment "berth"
                    counter dnat ip to tcp dport map @pub-tcp comment "berth"
                    counter dnat ip to ip daddr . udp dport map @pub-udp-addr comment "berth"
                    counter dnat ip to udp dport map @pub-udp comment "berth"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                }

                chain forward {
                    type filter hook forward priority filter; policy accept;
                }
            }
            """)
    }

    /// One user network: masquerade out, hairpin and host-loopback masquerade, and its two forward chains.
    @Test func oneNetworkMasqueradesAndGuardsItsBridge() {
        expectSnapshot(
            RulesetBuilder.build(FirewallState(networks: [Fixture.web])),
            """
            table ip berth {}
            delete table ip berth
            table ip berth {
                set bridges {
                    type ifname
                    elements = { "br-aaaa11112222" }
                }

                map pub-tcp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-tcp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                map pub-udp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-udp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain output {
                    type nat hook output priority -100; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain published {
                    counter dnat ip to ip daddr . tcp dport map @pub-tcp-addr comment "berth"
                    counter dnat ip to tcp dport map @pub-tcp comment "berth"
                    counter dnat ip to ip daddr . udp dport map @pub-udp-addr comment "berth"
                    counter dnat ip to udp dport map @pub-udp comment "berth"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname != "br-aaaa11112222" ip saddr 172.18.0.0/16 counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 172.18.0.0/16 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 127.0.0.0/8 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                }

                chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "br-aaaa11112222" jump from-aaaa11112222 comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" jump to-aaaa11112222 comment "berth:net:aaaa11112222"
                }

                chain from-aaaa11112222 {
                    oifname "br-aaaa11112222" accept comment "berth:net:aaaa11112222"
                    oifname @bridges ct status dnat return comment "berth:net:aaaa11112222"
                    oifname @bridges counter drop comment "berth:net:aaaa11112222"
                    accept comment "berth:net:aaaa11112222"
                }

                chain to-aaaa11112222 {
                    ct state established,related accept comment "berth:net:aaaa11112222"
                    ct status dnat accept comment "berth:net:aaaa11112222"
                    counter drop comment "berth:net:aaaa11112222"
                }
            }
            """)
    }

    /// An internal network gets no masquerade and chains that only let its members talk to each other;
    /// the other network is isolated from it through the `bridges` set.
    @Test func internalNetworkHasNoWayOutAndNoMasquerade() {
        expectSnapshot(
            RulesetBuilder.build(FirewallState(networks: [Fixture.vault, Fixture.web])),
            """
            table ip berth {}
            delete table ip berth
            table ip berth {
                set bridges {
                    type ifname
                    elements = { "br-aaaa11112222", "br-cccc55556666" }
                }

                map pub-tcp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-tcp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                map pub-udp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-udp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain output {
                    type nat hook output priority -100; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain published {
                    counter dnat ip to ip daddr . tcp dport map @pub-tcp-addr comment "berth"
                    counter dnat ip to tcp dport map @pub-tcp comment "berth"
                    counter dnat ip to ip daddr . udp dport map @pub-udp-addr comment "berth"
                    counter dnat ip to udp dport map @pub-udp comment "berth"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname != "br-aaaa11112222" ip saddr 172.18.0.0/16 counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 172.18.0.0/16 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 127.0.0.0/8 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                }

                chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "br-aaaa11112222" jump from-aaaa11112222 comment "berth:net:aaaa11112222"
                    iifname "br-cccc55556666" jump from-cccc55556666 comment "berth:net:cccc55556666"
                    oifname "br-aaaa11112222" jump to-aaaa11112222 comment "berth:net:aaaa11112222"
                    oifname "br-cccc55556666" jump to-cccc55556666 comment "berth:net:cccc55556666"
                }

                chain from-aaaa11112222 {
                    oifname "br-aaaa11112222" accept comment "berth:net:aaaa11112222"
                    oifname @bridges ct status dnat return comment "berth:net:aaaa11112222"
                    oifname @bridges counter drop comment "berth:net:aaaa11112222"
                    accept comment "berth:net:aaaa11112222"
                }

                chain to-aaaa11112222 {
                    ct state established,related accept comment "berth:net:aaaa11112222"
                    ct status dnat accept comment "berth:net:aaaa11112222"
                    counter drop comment "berth:net:aaaa11112222"
                }

                chain from-cccc55556666 {
                    oifname "br-cccc55556666" accept comment "berth:net:cccc55556666"
                    counter drop comment "berth:net:cccc55556666"
                }

                chain to-cccc55556666 {
                    counter drop comment "berth:net:cccc55556666"
                }
            }
            """)
    }

    /// tcp and udp ports, on every address and on one address: one map element each, tagged with the
    /// endpoint, sorted by protocol, address and port whatever the input order.
    @Test func publishedPortsLiveInMapsTaggedByEndpoint() {
        expectSnapshot(
            RulesetBuilder.build(
                FirewallState(
                    networks: [Fixture.web],
                    ports: [Fixture.dns, Fixture.http, Fixture.udpOnAddress, Fixture.httpsLoopback])),
            """
            table ip berth {}
            delete table ip berth
            table ip berth {
                set bridges {
                    type ifname
                    elements = { "br-aaaa11112222" }
                }

                map pub-tcp {
                    type inet_service : ipv4_addr . inet_service
                    elements = {
                        8080 comment "berth:ep:e0e0aaaa0001" : 172.18.0.2 . 80,
                    }
                }

                map pub-tcp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                    elements = {
                        127.0.0.1 . 8443 comment "berth:ep:e0e0aaaa0001" : 172.18.0.2 . 443,
                    }
                }

                map pub-udp {
                    type inet_service : ipv4_addr . inet_service
                    elements = {
                        5353 comment "berth:ep:e0e0bbbb0002" : 172.18.0.3 . 53,
                    }
                }

                map pub-udp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                    elements = {
                        10.0.0.5 . 6000 comment "berth:ep:e0e0bbbb0002" : 172.18.0.3 . 6000,
                    }
                }

                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain output {
                    type nat hook output priority -100; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain published {
                    counter dnat ip to ip daddr . tcp dport map @pub-tcp-addr comment "berth"
                    counter dnat ip to tcp dport map @pub-tcp comment "berth"
                    counter dnat ip to ip daddr . udp dport map @pub-udp-addr comment "berth"
                    counter dnat ip to udp dport map @pub-udp comment "berth"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname != "br-aaaa11112222" ip saddr 172.18.0.0/16 counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 172.18.0.0/16 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 127.0.0.0/8 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                }

                chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "br-aaaa11112222" jump from-aaaa11112222 comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" jump to-aaaa11112222 comment "berth:net:aaaa11112222"
                }

                chain from-aaaa11112222 {
                    oifname "br-aaaa11112222" accept comment "berth:net:aaaa11112222"
                    oifname @bridges ct status dnat return comment "berth:net:aaaa11112222"
                    oifname @bridges counter drop comment "berth:net:aaaa11112222"
                    accept comment "berth:net:aaaa11112222"
                }

                chain to-aaaa11112222 {
                    ct state established,related accept comment "berth:net:aaaa11112222"
                    ct status dnat accept comment "berth:net:aaaa11112222"
                    counter drop comment "berth:net:aaaa11112222"
                }
            }
            """)
    }

    /// With the host's FORWARD policy drop, the batch ends with accept rules for berth's bridges in that
    /// chain: three for a normal network, only member-to-member for an internal one.
    @Test func hostForwardDropAddsNarrowAcceptRules() {
        expectSnapshot(
            RulesetBuilder.build(FirewallState(networks: [Fixture.web, Fixture.vault], hostForwardPolicyIsDrop: true)),
            """
            table ip berth {}
            delete table ip berth
            table ip berth {
                set bridges {
                    type ifname
                    elements = { "br-aaaa11112222", "br-cccc55556666" }
                }

                map pub-tcp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-tcp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                map pub-udp {
                    type inet_service : ipv4_addr . inet_service
                }

                map pub-udp-addr {
                    type ipv4_addr . inet_service : ipv4_addr . inet_service
                }

                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain output {
                    type nat hook output priority -100; policy accept;
                    fib daddr type local jump published comment "berth"
                }

                chain published {
                    counter dnat ip to ip daddr . tcp dport map @pub-tcp-addr comment "berth"
                    counter dnat ip to tcp dport map @pub-tcp comment "berth"
                    counter dnat ip to ip daddr . udp dport map @pub-udp-addr comment "berth"
                    counter dnat ip to udp dport map @pub-udp comment "berth"
                }

                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname != "br-aaaa11112222" ip saddr 172.18.0.0/16 counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 172.18.0.0/16 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                    oifname "br-aaaa11112222" ip saddr 127.0.0.0/8 ct status dnat counter masquerade comment "berth:net:aaaa11112222"
                }

                chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "br-aaaa11112222" jump from-aaaa11112222 comment "berth:net:aaaa11112222"
                    iifname "br-cccc55556666" jump from-cccc55556666 comment "berth:net:cccc55556666"
                    oifname "br-aaaa11112222" jump to-aaaa11112222 comment "berth:net:aaaa11112222"
                    oifname "br-cccc55556666" jump to-cccc55556666 comment "berth:net:cccc55556666"
                }

                chain from-aaaa11112222 {
                    oifname "br-aaaa11112222" accept comment "berth:net:aaaa11112222"
                    oifname @bridges ct status dnat return comment "berth:net:aaaa11112222"
                    oifname @bridges counter drop comment "berth:net:aaaa11112222"
                    accept comment "berth:net:aaaa11112222"
                }

                chain to-aaaa11112222 {
                    ct state established,related accept comment "berth:net:aaaa11112222"
                    ct status dnat accept comment "berth:net:aaaa11112222"
                    counter drop comment "berth:net:aaaa11112222"
                }

                chain from-cccc55556666 {
                    oifname "br-cccc55556666" accept comment "berth:net:cccc55556666"
                    counter drop comment "berth:net:cccc55556666"
                }

                chain to-cccc55556666 {
                    counter drop comment "berth:net:cccc55556666"
                }
            }
            add rule ip filter FORWARD iifname "br-aaaa11112222" accept comment "berth:net:aaaa11112222"
            add rule ip filter FORWARD oifname "br-aaaa11112222" ct state established,related accept comment "berth:net:aaaa11112222"
            add rule ip filter FORWARD oifname "br-aaaa11112222" ct status dnat accept comment "berth:net:aaaa11112222"
            add rule ip filter FORWARD iifname "br-cccc55556666" oifname "br-cccc55556666" accept comment "berth:net:cccc55556666"
            """)
    }
}

/// Compares a generated script with its snapshot line by line, so a failure names the first line that
/// differs instead of printing two walls of text.
func expectSnapshot(_ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = (expected + "\n").split(separator: "\n", omittingEmptySubsequences: false)
    for (i, (x, y)) in zip(a, e).enumerated() where x != y {
        Issue.record("line \(i + 1) differs:\n  got      \(x)\n  expected \(y)", sourceLocation: sourceLocation)
        return
    }
    #expect(a.count == e.count, "got \(a.count) lines, expected \(e.count)", sourceLocation: sourceLocation)
}
