import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose stop`: stops the project's containers, keeping them.
struct ComposeStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the project's containers (berth compose start starts them again).")

    @OptionGroup var options: ComposeProjectOptions
    @Option(name: [.short, .long], help: "Seconds to wait before killing (default 10).") var timeout: Int?
    @Argument(help: "Services (all when none are named).") var services: [String] = []

    func run() throws {
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        let running = try session.containers(services: services).filter { $0.State == "running" }
        try session.forEach(running) { c in
            try session.client.send("POST", "/containers/\(c.Id)/stop" + ComposeUp.query(timeout))
            ComposeSession.progress("Container \(session.name(c))", "Stopped")
        }
    }
}
