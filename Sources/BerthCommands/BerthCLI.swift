import ArgumentParser
import BerthCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `berth`: Docker's verbs and flags, talking to berthd over its socket.
public struct BerthCLI: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A container engine whose networking is built from the kernel's own parts, and shows them.",
        discussion: """
            berth talks to berthd on $BERTH_RUN/berth.sock (default /run/berth/berth.sock; BERTH_HOST=unix:///path
            overrides). When no daemon answers, berth starts berthd in the background and says so on stderr;
            set BERTH_NO_AUTOSTART=1 to prevent that.
            """,
        version: "berth version \(BerthAPIVersion.text)",
        subcommands: [
            RunCommand.self, CreateCommand.self, AttachCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self,
            KillCommand.self, RemoveCommand.self, PsCommand.self, LogsCommand.self, ExecCommand.self,
            InspectCommand.self, TopCommand.self, PortCommand.self, WaitCommand.self, DNSCommand.self,
            ImagesCommand.self, ImportCommand.self, LoadCommand.self, RmiCommand.self,
            NetworkCommand.self, ComposeCommand.self, DoctorCommand.self, VersionCommand.self, InfoCommand.self,
            TopologyCommand.self, NsCommand.self, DebugCommand.self, TraceCommand.self,
        ])

    public init() {}

    /// Runs the CLI: usage errors exit 64 (ArgumentParser), daemon errors print
    /// `Error response from daemon: …` and exit 1, like docker.
    public static func main(_ arguments: [String]? = nil) {
        do {
            let args = ComposeCommand.hoistProjectOptions(arguments ?? Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(args)
            try command.run()
        } catch let e as BerthError {
            printError(BerthClient.isDaemonError(e) ? "Error response from daemon: \(e.message)" : e.message)
            Foundation.exit(1)
        } catch let e as BerthClientError {
            printError(e.description)
            Foundation.exit(1)
        } catch let e as CLIFailure {
            Foundation.exit(e.code)
        } catch {
            exit(withError: error)
        }
    }
}

/// Exit quietly with a code (errors were already printed).
struct CLIFailure: Error {
    var code: Int32
}

func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(Data(line.utf8))
}

import BerthAPI
import BerthClient

enum BerthAPIVersion {
    static var text: String { "\(BerthVersion.version), API \(BerthVersion.apiVersion)" }
}
