import ArgumentParser
import BerthCompose
import BerthCore
import Foundation

/// `berth compose config`: the project after merging, interpolation and defaults, or only a part.
struct ComposeConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Validate the compose file(s) and print the project as berth reads it.")

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Only validate; print nothing.") var quiet = false
    @Flag(name: .long, help: "Print the service names, one a line.") var services = false
    @Flag(name: .long, help: "Print the network names, one a line.") var networks = false
    @Flag(name: .long, help: "Print the config hash of each service (what up compares).") var hash = false

    func run() throws {
        let project = try options.load()
        if quiet { return }
        if services {
            for s in project.services { print(s.name) }
        } else if networks {
            for n in project.networks { print(n.key) }
        } else if hash {
            for s in project.services {
                print("\(s.name) \(project.containerCreateRequest(s).Labels?[ComposeLabel.configHash] ?? "")")
            }
        } else {
            print(try project.renderYAML(), terminator: "")
        }
    }
}
