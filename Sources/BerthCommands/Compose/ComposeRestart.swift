import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose restart`: stop and start the project's containers.
struct ComposeRestart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart the project's containers.")

    @OptionGroup var options: ComposeProjectOptions
    @Option(name: [.short, .long], help: "Seconds to wait before killing (default 10).") var timeout: Int?
    @Argument(help: "Services (all when none are named).") var services: [String] = []

    func run() throws {
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        try session.forEach(try session.containers(services: services)) { c in
            try session.client.send("POST", "/containers/\(c.Id)/restart" + ComposeUp.query(timeout))
            ComposeSession.progress("Container \(session.name(c))", "Restarted")
        }
    }
}
