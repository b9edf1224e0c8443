import BerthAddressing
import BerthCore

/// Turns a `FirewallState` into the nftables script that makes the kernel match it. Pure: no I/O.
///
/// The script replaces berth's table in one transaction with the add/delete/add idiom
/// (`table ip berth {}` creates it if missing, `delete table` empties it, the full definition follows),
/// so `nft -f -` either installs the whole new ruleset or, on any error, leaves the old one in force.
///
/// What the table does (BerthFirewall.docc/BerthFirewall.md has the reasoning; the snapshot tests show it):
/// - `prerouting`/`output` (nat, dstnat): packets to a *local* address (`fib daddr type local`) go to
///   `published`, which DNATs through four maps: `pub-tcp-addr`/`pub-udp-addr` (specific host address)
///   then `pub-tcp`/`pub-udp` (any address). One map lookup per packet, however many ports are
///   published. `output` makes the host itself — 127.0.0.1 included — reach published ports without a
///   userland proxy. DNAT from 127.0.0.1 needs `net.ipv4.conf.<bridge>.route_localnet=1`, which the
///   engine sets on each bridge (otherwise the kernel drops packets with a loopback source on the bridge).
/// - `postrouting` (nat, srcnat): per network, masquerade its subnet leaving through any other interface;
///   hairpin (DNAT'ed traffic from the subnet going back out its own bridge) and host loopback
///   (127.0.0.0/8 DNAT'ed into the bridge) are masqueraded to the bridge address so replies come back
///   through the host's conntrack.
/// - `forward` (filter, policy accept: berth never drops traffic that is not its own): per network a
///   jump to `from-<id>` (packets leaving its bridge) and `to-<id>` (packets entering it).
public enum RulesetBuilder {
    /// The host table and chain Docker (iptables-nft) sets to policy drop.
    public static let hostFilterTable = "filter"
    /// See `hostFilterTable`.
    public static let hostForwardChain = "FORWARD"

    /// The whole batch for `state`: first `delete rule` for each stale host FORWARD rule in
    /// `removingHostRules` (handles the driver found tagged with this instance's table), then the table
    /// replacement, then the host FORWARD accept rules when the state says that chain drops.
    public static func build(_ state: FirewallState, removingHostRules handles: [UInt64] = []) -> String {
        var out = deleteHostRules(handles)
        out += tableScript(state)
        if state.hostForwardPolicyIsDrop {
            out += hostForwardRules(state).map { $0 + "\n" }.joined()
        }
        return out
    }

    /// A batch removing the table (idempotently: it is created first if absent) and the given host
    /// FORWARD rules.
    public static func removal(table: String, removingHostRules handles: [UInt64] = []) -> String {
        deleteHostRules(handles) + "table ip \(table) {}\ndelete table ip \(table)\n"
    }

    /// Only the atomic replacement of berth's table.
    public static func tableScript(_ state: FirewallState) -> String {
        let networks = state.networks.sorted { $0.id < $1.id }
        let ports = publishable(state)
        var w = ScriptWriter()
        w.line("table ip \(state.table) {}")
        w.line("delete table ip \(state.table)")
        w.block("table ip \(state.table)") { w in
            w.block("set bridges") { w in
                w.line("type ifname")
                let names = networks.map { "\"\($0.bridge)\"" }
                if !names.isEmpty { w.line("elements = { \(names.joined(separator: ", ")) }") }
            }
            for proto in TransportProtocol.allCases {
                w.blank()
                w.block("map pub-\(proto)") { w in
                    w.line("type inet_service : ipv4_addr . inet_service")
                    elements(ports.filter { $0.proto == proto && $0.specificHostIP == nil }, state, &w)
                }
                w.blank()
                w.block("map pub-\(proto)-addr") { w in
                    w.line("type ipv4_addr . inet_service : ipv4_addr . inet_service")
                    elements(ports.filter { $0.proto == proto && $0.specificHostIP != nil }, state, &w)
                }
            }
            let base = comment(state.baseTag)

            w.blank()
            w.block("chain prerouting") { w in
                w.line("type nat hook prerouting priority dstnat; policy accept;")
                w.line("fib daddr type local jump published\(base)")
            }
            w.blank()
            // nft 1.0 accepts the `dstnat` keyword only on prerouting; -100 is its value.
            w.block("chain output") { w in
                w.line("type nat hook output priority -100; policy accept;")
                w.line("fib daddr type local jump published\(base)")
            }
            w.blank()
            // Counted, so `berth trace` shows how many connections each DNAT and masquerade rule has taken.
            // Specific-address maps first: 127.0.0.1:8080 wins over *:8080 for traffic to 127.0.0.1.
            // A lookup miss ends the rule without a verdict, so unpublished ports fall through untouched.
            w.block("chain published") { w in
                for proto in TransportProtocol.allCases {
                    w.line("counter dnat ip to ip daddr . \(proto) dport map @pub-\(proto)-addr\(base)")
                    w.line("counter dnat ip to \(proto) dport map @pub-\(proto)\(base)")
                }
            }
            w.blank()
            w.block("chain postrouting") { w in
                w.line("type nat hook postrouting priority srcnat; policy accept;")
                for n in networks where !n.internal {
                    let tag = comment(state.tag(network: n.id))
                    let br = "\"\(n.bridge)\""
                    w.line("oifname != \(br) ip saddr \(n.subnet) counter masquerade\(tag)")
                    w.line("oifname \(br) ip saddr \(n.subnet) ct status dnat counter masquerade\(tag)")
                    w.line("oifname \(br) ip saddr 127.0.0.0/8 ct status dnat counter masquerade\(tag)")
                }
            }
            w.blank()
            w.block("chain forward") { w in
                w.line("type filter hook forward priority filter; policy accept;")
                // Every `from-` jump before any `to-` jump: a packet between two bridges is judged by its
                // source network first (isolation), and reaches the destination's `to-` chain only when
                // the source returned it (a published port).
                for n in networks {
                    w.line("iifname \"\(n.bridge)\" jump \(fromChain(n))\(comment(state.tag(network: n.id)))")
                }
                for n in networks {
                    w.line("oifname \"\(n.bridge)\" jump \(toChain(n))\(comment(state.tag(network: n.id)))")
                }
            }
            for n in networks {
                let tag = comment(state.tag(network: n.id))
                let br = "\"\(n.bridge)\""
                w.blank()
                // Leaving the bridge. Own bridge first (members talking through the host, hairpin).
                w.block("chain \(fromChain(n))") { w in
                    w.line("oifname \(br) accept\(tag)")
                    if n.internal {
                        w.line("counter drop\(tag)")
                    } else {
                        // A published port on another network: let that network's `to-` chain decide.
                        // Conntrack keeps the dnat status on replies too, so both directions pass.
                        w.line("oifname @bridges ct status dnat return\(tag)")
                        w.line("oifname @bridges counter drop\(tag)")
                        w.line("accept\(tag)")
                    }
                }
                w.blank()
                // Entering the bridge from anything else: replies and published ports only.
                w.block("chain \(toChain(n))") { w in
                    if !n.internal {
                        w.line("ct state established,related accept\(tag)")
                        w.line("ct status dnat accept\(tag)")
                    }
                    w.line("counter drop\(tag)")
                }
            }
        }
        return w.text
    }

    /// When `old` and `new` differ in nothing but their published ports: the batch that deletes and adds
    /// exactly the map elements that changed, leaving the kernel with the ruleset `tableScript(new)`
    /// would make (given the kernel holds `old`'s). Replacing the whole table re-registers every base
    /// chain, milliseconds per change; a container's ports are a few elements. "" when nothing changed;
    /// nil when anything else differs (networks, table, the host's policy): then only a rebuild will do.
    public static func portDelta(from old: FirewallState, to new: FirewallState) -> String? {
        guard old.table == new.table, old.hostForwardPolicyIsDrop == new.hostForwardPolicyIsDrop,
            old.networks.sorted(by: { $0.id < $1.id }) == new.networks.sorted(by: { $0.id < $1.id })
        else { return nil }
        // Both lists are sorted by map key with no key twice (`publishable`), so one walk through both
        // pairs them up: an element is unchanged when its owner tag and target are. Text is built only
        // for the elements that changed, so a change costs its own ports, not every port's.
        let before = publishable(old)
        let after = publishable(new)
        var removed: [PublishedPort] = []
        var added: [PublishedPort] = []
        var i = 0
        var j = 0
        while i < before.count || j < after.count {
            if j == after.count || (i < before.count && mapOrder(before[i], after[j])) {
                removed.append(before[i])
                i += 1
            } else if i == before.count || mapOrder(after[j], before[i]) {
                added.append(after[j])
                j += 1
            } else {
                let (b, a) = (before[i], after[j])
                if b.containerIP != a.containerIP || b.containerPort != a.containerPort
                    || !b.endpointId.utf8.prefix(12).elementsEqual(a.endpointId.utf8.prefix(12))
                {
                    removed.append(b)
                    added.append(a)
                }
                i += 1
                j += 1
            }
        }
        // One command per map and direction (nft parses one long element list far faster than many
        // commands), deletions first so a key whose value changed is replaced.
        var out = ""
        var tags = TagCache(new)
        for (verb, list) in [("delete", removed), ("add", added)] {
            for proto in TransportProtocol.allCases {
                for specific in [false, true] {
                    var items: [String] = []
                    for p in list where p.proto == proto && (p.specificHostIP != nil) == specific {
                        items.append(verb == "delete" ? elementKey(p) : elementText(p, &tags))
                    }
                    guard !items.isEmpty else { continue }
                    let map = "pub-\(proto)" + (specific ? "-addr" : "")
                    out += "\(verb) element ip \(new.table) \(map) { \(items.joined(separator: ", ")) }\n"
                }
            }
        }
        return out
    }

    /// The order of map keys: protocol, host address (any first), host port.
    private static func mapOrder(_ l: PublishedPort, _ r: PublishedPort) -> Bool {
        if l.proto != r.proto { return l.proto < r.proto }
        let (la, ra) = (l.specificHostIP?.value ?? 0, r.specificHostIP?.value ?? 0)
        if la != ra { return la < ra }
        return l.hostPort < r.hostPort
    }

    /// The narrow accept rules berth appends to the host's `ip filter FORWARD` chain when its policy is
    /// drop, one `add rule` command each, tagged with the network. An internal network needs only its
    /// members' traffic routed through the host; the others also need traffic out, replies in, and
    /// published ports in. Berth's own table still drops what it must (a drop in any base chain is final).
    public static func hostForwardRules(_ state: FirewallState) -> [String] {
        var rules: [String] = []
        let prefix = "add rule ip \(hostFilterTable) \(hostForwardChain)"
        for n in state.networks.sorted(by: { $0.id < $1.id }) {
            let tag = comment(state.tag(network: n.id))
            let br = "\"\(n.bridge)\""
            if n.internal {
                rules.append("\(prefix) iifname \(br) oifname \(br) accept\(tag)")
            } else {
                rules.append("\(prefix) iifname \(br) accept\(tag)")
                rules.append("\(prefix) oifname \(br) ct state established,related accept\(tag)")
                rules.append("\(prefix) oifname \(br) ct status dnat accept\(tag)")
            }
        }
        return rules
    }

    /// `from-<12 hex>`: the chain judging packets that leave a network's bridge.
    public static func fromChain(_ n: FirewallNetwork) -> String { "from-\(Identifier.short(n.id))" }
    /// `to-<12 hex>`: the chain judging packets that enter a network's bridge.
    public static func toChain(_ n: FirewallNetwork) -> String { "to-\(Identifier.short(n.id))" }

    /// The ports that get a map element, in the order they are written: sorted by protocol, host
    /// address, host port. Ports of unknown or internal networks are left out (an internal network has
    /// no way in), and of two mappings with the same key only the first survives — `validate()` reports
    /// that conflict before a driver applies anything, this only keeps the script loadable.
    static func publishable(_ state: FirewallState) -> [PublishedPort] {
        let open = Set(state.networks.filter { !$0.internal }.map(\.id))
        let sorted = state.ports.filter { open.contains($0.networkId) }.sorted {
            mapOrder($0, $1) || (!mapOrder($1, $0) && $0.endpointId < $1.endpointId)
        }
        // The first of each key (sorted: a repeat follows its first).
        var out: [PublishedPort] = []
        out.reserveCapacity(sorted.count)
        for p in sorted where out.last.map({ mapOrder($0, p) }) ?? true { out.append(p) }
        return out
    }

    private static func elements(_ ports: [PublishedPort], _ state: FirewallState, _ w: inout ScriptWriter) {
        guard !ports.isEmpty else { return }
        var tags = TagCache(state)
        w.block("elements =") { w in
            for p in ports { w.line(elementText(p, &tags) + ",") }
        }
    }

    /// The comment of an endpoint's elements, made once per run of elements of one endpoint.
    struct TagCache {
        let state: FirewallState
        var endpoint = ""
        var text = ""

        init(_ state: FirewallState) { self.state = state }

        mutating func comment(_ endpointId: String) -> String {
            if endpointId != endpoint {
                endpoint = endpointId
                text = RulesetBuilder.comment(state.tag(endpoint: endpointId))
            }
            return text
        }
    }

    /// A port map's key for `p`: the host port, or host address . port.
    private static func elementKey(_ p: PublishedPort) -> String {
        p.specificHostIP.map { "\($0) . \(p.hostPort)" } ?? "\(p.hostPort)"
    }

    /// A port map's element for `p` (key, owner tag, DNAT target), as the table and a patch both write it.
    private static func elementText(_ p: PublishedPort, _ tags: inout TagCache) -> String {
        "\(elementKey(p))\(tags.comment(p.endpointId)) : \(p.containerIP) . \(p.containerPort)"
    }

    private static func deleteHostRules(_ handles: [UInt64]) -> String {
        handles.map { "delete rule ip \(hostFilterTable) \(hostForwardChain) handle \($0)\n" }.joined()
    }

    private static func comment(_ tag: String) -> String { " comment \"\(tag)\"" }
}

/// Indented script text, four spaces a level.
struct ScriptWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ s: String) {
        text += String(repeating: "    ", count: depth) + s + "\n"
    }

    mutating func blank() { text += "\n" }

    mutating func block(_ head: String, _ body: (inout ScriptWriter) -> Void) {
        line(head + " {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }
}
