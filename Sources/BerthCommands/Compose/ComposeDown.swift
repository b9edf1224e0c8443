import ArgumentParser
import BerthAPI
import BerthClient
import BerthCompose
import BerthCore
import Foundation

/// `berth compose down`: the project's containers and networks (found by label), and nothing else.
struct ComposeDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop and remove the project's containers and networks.",
        discussion: """
            What is removed is found by the com.docker.compose.project label, so containers of services \
            since deleted from the file go too, and external networks and anything else stay. With -p NAME \
            no compose file is needed.
            """)

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Remove named volumes (berth has none; accepted for docker compatibility).")
    var volumes = false
    @Option(name: [.short, .long], help: "Seconds to wait for each container to stop before killing it (default 10).")
    var timeout: Int?

    func run() throws {
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        let client = session.client
        let containers = try session.containers()
        try session.forEach(containers) { c in
            if c.State == "running" {
                try client.send("POST", "/containers/\(c.Id)/stop" + ComposeUp.query(timeout))
                ComposeSession.progress("Container \(session.name(c))", "Stopped")
            }
            try client.send("DELETE", "/containers/\(c.Id)?force=1")
            ComposeSession.progress("Container \(session.name(c))", "Removed")
        }
        var failed = false
        for n in try session.networks() {
            do {
                try client.removeNetwork(n.id)
                ComposeSession.progress("Network \(n.name)", "Removed")
            } catch let e as BerthError {
                printError("Error response from daemon: network \(n.name): \(e.message)")
                failed = true
            }
        }
        if failed { throw CLIFailure(code: 1) }
    }
}
