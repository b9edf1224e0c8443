import ArgumentParser
import BerthAPI
import BerthClient

/// `berth doctor`: what stands between containers and the network, read from the live kernel.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the host for what breaks container networking, and say what to do.",
        discussion: """
            Checks ip_forward, berth's nftables table, a FORWARD drop policy from another firewall (Docker's),
            br_netfilter, bridges missing from the kernel, subnets overlapping host routes, and left-over links.
            Exits 1 when a check fails. With --fix, berth first repairs what it can, then reports.
            """)

    @Option(name: [.short, .long], help: "Output format: 'json', or a Go template per check such as '{{.Name}} {{.Status}}'.")
    var format: String?

    @Flag(help: "Repair what berth can: recreate missing bridges, remove left-over links, rewrite berth's rules, set ip_forward.")
    var fix = false

    func run() throws {
        let checks = try Connection.client().doctor(fix: fix)
        if let format {
            let template = try GoTemplate(format == "json" ? "{{json .}}" : format)
            for c in checks { print(try template.render(c)) }
        } else {
            for c in checks {
                let mark = c.status == .ok ? "ok  " : c.status == .warning ? "WARN" : "FAIL"
                print("\(mark)  \(c.name): \(c.detail)")
                if let fix = c.fix, c.status != .ok { print("      fix: \(fix)") }
            }
        }
        if checks.contains(where: { $0.status == .failure }) { throw CLIFailure(code: 1) }
    }
}
