import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore

/// `berth trace CONTAINER [PORT[/proto]]`: the path a packet takes, step by step, from live kernel state.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show the path a packet takes to a container's port, step by step, and where it breaks.",
        discussion: """
            Each step is read from the live kernel, not from berth's records: the element of berth's nftables \
            map and the DNAT rule with its packet counter, the route to the bridge, the masquerade rule, the \
            bridge and the host veth with their state, the container's eth0 and address (read inside its \
            namespace), and the socket listening on the port with the process that owns it.

            --from host (the default) traces a client on the host dialing 127.0.0.1 (or --address) and the \
            published port; --from ADDRESS a client outside the host at that IPv4 address (routed: ip_forward \
            and the FORWARD chains matter); --from CONTAINER another container, by name through berth's \
            resolver when they share a network, else the isolation between networks.

            The first broken step is named with what to do: container stopped, port not published or \
            published on another address, network internal, isolation, a FORWARD drop policy from another \
            firewall without berth's accept rules, ip_forward off, bridge or veth down, nothing listening, \
            or a server bound to 127.0.0.1 inside the container.

            Exit status: 0 when the path is whole, 1 when a step is broken (or on an error).
            """)

    @Argument(help: "Container name or ID.") var container: String
    @Argument(
        help:
            "The container's port, with /tcp (default) or /udp. Default: its first published port, else its first listening socket."
    )
    var port: String?
    @Option(help: "Where the packet starts: host, a container, or an IPv4 address outside the host.") var from = "host"
    @Option(help: "The host address a client on the host dials (default 127.0.0.1).") var address: String?
    @Option(name: [.short, .long], help: "Output format: 'json', or a Go template over the report.") var format: String?

    func validate() throws {
        if let port { _ = try Self.parse(port) }
    }

    /// `80`, `80/tcp`, `53/udp`.
    static func parse(_ text: String) throws -> (UInt16, String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let proto = parts.count > 1 ? String(parts[1]).lowercased() : "tcp"
        guard parts.count <= 2, let n = UInt16(parts[0]), n > 0, proto == "tcp" || proto == "udp" else {
            throw ValidationError("invalid port \"\(text)\": give PORT or PORT/tcp or PORT/udp, PORT from 1 to 65535")
        }
        return (n, proto)
    }

    func run() throws {
        let client = try Connection.client()
        var query = ["from=\(BerthClient.escapePath(from))"]
        if let port {
            let (n, proto) = try Self.parse(port)
            query += ["port=\(n)", "proto=\(proto)"]
        }
        if let address { query.append("address=\(BerthClient.escapePath(address))") }
        let path = "/berth/containers/\(BerthClient.escapePath(container))/trace?" + query.joined(separator: "&")
        let r = try client.call("GET", path, as: TraceReport.self)
        if let format {
            print(try GoTemplate(format == "json" ? "{{json .}}" : format).render(r))
        } else {
            print(Self.render(r), terminator: "")
        }
        if r.firstBroken != nil { throw CLIFailure(code: 1) }
    }

    /// Numbered steps with ✓/✗, then the verdict.
    static func render(_ r: TraceReport) -> String {
        var out = "trace from \(r.from) to \(r.destination) (container \(r.container))\n"
        for (i, s) in r.steps.enumerated() {
            let mark = s.status == .ok ? "✓" : s.status == .broken ? "✗" : "·"
            out += "\(String(i + 1).leftPad(3)) \(mark) \(s.step.padding(16)) \(s.object)\n"
            out += "        \(s.detail)\n"
            if let fix = s.fix, s.status == .broken { out += "        fix: \(fix)\n" }
        }
        if let b = r.firstBroken, let i = r.steps.firstIndex(of: b) {
            out += "broken at step \(i + 1) (\(b.step)): \(b.detail)\n"
        } else {
            out += "the path is whole: a packet to \(r.destination) reaches the listening socket\n"
        }
        return out
    }
}

extension String {
    fileprivate func leftPad(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
    fileprivate func padding(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
}
