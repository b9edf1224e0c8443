import ArgumentParser
import BerthAPI
import BerthCompose
import BerthCore
import Foundation

/// `berth compose exec SERVICE CMD…`: a command in the service's running container.
struct ComposeExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a service's running container; exits with the command's code.")

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Run in the background.") var detach = false
    @Flag(
        name: [.customShort("T"), .customLong("no-TTY")],
        help: "No pseudo-TTY (berth never allocates one for exec yet).")
    var noTTY = false
    @Option(name: [.short, .long], help: "Set an environment variable.") var env: [String] = []
    @Option(name: [.short, .long], help: "User (name or uid[:gid]).") var user: String?
    @Option(name: [.short, .long], help: "Working directory.") var workdir: String?
    @Flag(name: .long, help: "Extended privileges.") var privileged = false
    @Option(name: .long, help: "Which container of the service (only 1 exists).") var index: Int = 1
    @Argument(help: "Service name.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw ValidationError("name a command to run in service \(service)") }
        let session = ComposeSession(client: try Connection.client(), project: try options.projectNameOnly())
        guard
            let c = try session.containers(services: [service]).first(where: {
                $0.State == "running" && ($0.Labels[ComposeLabel.containerNumber] ?? "1") == String(index)
            })
        else {
            printError("service \"\(service)\" is not running in project \(session.project)")
            throw CLIFailure(code: 1)
        }
        try ContainerCLI.exec(
            session.client, container: c.Id, command: command, env: env, user: user, workdir: workdir,
            privileged: privileged, detach: detach)
    }
}
