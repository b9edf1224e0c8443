import BerthAddressing

/// For issue 4 (embedded DNS): the NAT pair that lets a container's resolver config say
/// `nameserver 127.0.0.11` while berth's resolver listens on 127.0.0.11 at random ports, as Docker does
/// (seed 003 shows its `DOCKER_OUTPUT`/`DOCKER_POSTROUTING` chains).
///
/// Applied *inside the container's network namespace* (`NftablesDriver(namespace:).apply(script:)`):
/// queries to 127.0.0.11:53 are DNAT'ed to the listening ports; answers leaving those ports are SNAT'ed
/// back to port 53. Conntrack already reverses the DNAT for replies on the same flow; the SNAT rule
/// covers answers that conntrack does not tie to the query (Docker keeps it for the same reason).
public struct DNSRedirect: Sendable, Equatable {
    /// The table in the container's namespace.
    public var table: String
    /// The resolver address the container's resolv.conf names.
    public var address: IPv4Address
    /// The port berth's resolver listens on for UDP.
    public var udpPort: UInt16
    /// The port berth's resolver listens on for TCP.
    public var tcpPort: UInt16

    /// The table berth makes in a container's namespace.
    public static let defaultTable = "berth-dns"

    /// The resolver address Docker made customary.
    public static let embeddedResolver = IPv4Address(127, 0, 0, 11)

    /// Describes the redirect for one namespace.
    public init(
        table: String = DNSRedirect.defaultTable, address: IPv4Address = DNSRedirect.embeddedResolver, udpPort: UInt16,
        tcpPort: UInt16
    ) {
        self.table = table
        self.address = address
        self.udpPort = udpPort
        self.tcpPort = tcpPort
    }

    /// The batch replacing the table atomically (same add/delete/add idiom as `RulesetBuilder`).
    public var script: String {
        "table ip \(table) {}\ndelete table ip \(table)\n" + definition
    }

    /// The batch for a namespace without the table (a container's new one): `create` fails when the table
    /// exists, and the whole batch with it; then `script` replaces it. A batch that deletes anything
    /// makes closing its netlink socket wait for the kernel to free what was deleted (an RCU grace
    /// period, ~10 ms here), so a new container's resolver skips the delete it does not need.
    public var createScript: String { "create table ip \(table)\n" + definition }

    private var definition: String {
        var w = ScriptWriter()
        let tag = " comment \"\(table)\""
        w.block("table ip \(table)") { w in
            w.block("chain output") { w in
                w.line("type nat hook output priority -100; policy accept;")
                w.line("ip daddr \(address) udp dport 53 dnat ip to \(address):\(udpPort)\(tag)")
                w.line("ip daddr \(address) tcp dport 53 dnat ip to \(address):\(tcpPort)\(tag)")
            }
            w.blank()
            w.block("chain postrouting") { w in
                w.line("type nat hook postrouting priority srcnat; policy accept;")
                w.line("ip saddr \(address) udp sport \(udpPort) snat ip to \(address):53\(tag)")
                w.line("ip saddr \(address) tcp sport \(tcpPort) snat ip to \(address):53\(tag)")
            }
        }
        return w.text
    }
}
