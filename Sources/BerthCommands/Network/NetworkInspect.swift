import ArgumentParser
import BerthAPI
import BerthCore
import Foundation

/// `berth network inspect`
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Display detailed information on one or more networks, in Docker's JSON.")

    @Option(name: [.short, .long], help: "Format with a Go template, e.g. '{{range .IPAM.Config}}{{.Subnet}}{{end}}'.")
    var format: String?

    @Argument(help: "Network names or IDs (a unique ID prefix is enough).")
    var networks: [String]

    func validate() throws {
        if networks.isEmpty { throw ValidationError("name at least one network to inspect") }
    }

    func run() throws {
        let client = try Connection.client()
        var found: [NetworkResource] = []
        var failed = false
        for ref in networks {
            do { found.append(try client.inspectNetwork(ref)) } catch let e as BerthError {
                printError("Error response from daemon: \(e.message)")
                failed = true
            }
        }
        if let format {
            let template = try GoTemplate(format)
            for n in found { print(try template.render(n)) }
        } else {
            print(try JSONValue.pretty(found))
        }
        if failed { throw CLIFailure(code: 1) }
    }
}
