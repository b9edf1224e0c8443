import ArgumentParser
import BerthAPI
import BerthClient

/// `berth doctor`: what stands between containers and the network, read from the live kernel.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the host for what breaks container networking, and say what to do.",
        discussion: """
            Checks, read from the live kernel and compared with berth's store: ip_forward, berth's nftables \
            table, a FORWARD drop policy from another firewall (Docker's) without berth's accept rules, \
            br_netfilter, bridges missing from the kernel, endpoints whose veth vanished, subnets overlapping \
            host routes, and orphaned berth objects: veths named veth<7 hex> that no endpoint owns, bridges \
            br-<12 hex> of no network (left alone when Docker is on the host: its bridges are named the same), netns \
            pins under $BERTH_RUN/netns (and their /run/netns names) of no container, nft map elements and \
            rules tagged with endpoints or networks that no longer exist, IPAM allocations of vanished \
            endpoints, container directories without records and mounts of no container.

            --fix removes exactly the orphans found (and says what it removed), adds berth's FORWARD accept \
            rules, recreates missing bridges, rewrites berth's table and sets ip_forward; running it again \
            finds nothing more to remove.

            Exit status: 1 when a check fails (a FAIL line: something is broken now, or a removal failed); \
            0 otherwise, warnings (WARN: orphans, overlaps) included.
            """)

    @Option(name: [.short, .long], help: "Output format: 'json', or a Go template per check such as '{{.Name}} {{.Status}}'.")
    var format: String?

    @Flag(help: "Remove the orphans found, then repair what berth can: FORWARD accept rules, missing bridges, berth's rules, ip_forward.")
    var fix = false

    func run() throws {
        let checks = try Connection.client().doctor(fix: fix)
        if let format {
            let template = try GoTemplate(format == "json" ? "{{json .}}" : format)
            for c in checks { print(try template.render(c)) }
        } else {
            for c in checks {
                let mark = c.removed == true ? "DONE" : c.status == .ok ? "ok  " : c.status == .warning ? "WARN" : "FAIL"
                print("\(mark)  \(c.name): \(c.detail)")
                if let fix = c.fix, c.status != .ok { print("      fix: \(fix)") }
            }
        }
        if checks.contains(where: { $0.status == .failure }) { throw CLIFailure(code: 1) }
    }
}
