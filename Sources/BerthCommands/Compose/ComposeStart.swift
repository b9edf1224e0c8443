import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose start`: starts the project's existing containers, in dependency order.
struct ComposeStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start the project's existing containers.")

    @OptionGroup var options: ComposeProjectOptions
    @Argument(help: "Services (all when none are named).") var services: [String] = []

    func run() throws {
        let project = try options.load()
        let session = ComposeSession(client: try Connection.client(), project: project.name)
        let existing = try session.containers(services: services)
        // One at a time, in the file's start order, so depends_on holds.
        for s in project.services {
            for c in existing where c.Labels[ComposeLabel.service] == s.name && c.State != "running" {
                try session.client.send("POST", "/containers/\(c.Id)/start")
                ComposeSession.progress("Container \(session.name(c))", "Started")
            }
        }
    }
}
