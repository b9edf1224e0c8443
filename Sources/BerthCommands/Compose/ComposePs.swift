import ArgumentParser
import BerthAPI
import BerthClient
import BerthCompose
import BerthCore
import Foundation

/// `berth compose ps`: the project's containers.
struct ComposePs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List the project's containers.")

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Show stopped containers too.") var all = false
    @Flag(name: [.short, .long], help: "Only IDs.") var quiet = false
    @Flag(name: .long, help: "Only service names.") var services = false
    @Argument(help: "Services (all when none are named).") var names: [String] = []

    func run() throws {
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        let list = try session.containers(services: names).filter { all || $0.State == "running" || $0.State == "restarting" }
        if quiet {
            for c in list { print(c.Id) }
            return
        }
        if services {
            for s in Set(list.compactMap { $0.Labels[ComposeLabel.service] }).sorted() { print(s) }
            return
        }
        var table = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]]
        for c in list {
            let f = PsCommand.fields(c, noTrunc: false)
            table.append([
                session.name(c), c.Image, "\(f["Command"] ?? "")", c.Labels[ComposeLabel.service] ?? "",
                "\(f["RunningFor"] ?? "")", "\(f["Status"] ?? "")", "\(f["Ports"] ?? "")",
            ])
        }
        print(TableWriter.render(table), terminator: "")
    }
}
