import ArgumentParser
import BerthCore

/// `berth network rm`
struct NetworkRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove one or more networks, with their bridges and rules.", aliases: ["remove"])

    @Argument(help: "Network names or IDs.")
    var networks: [String]

    func validate() throws {
        if networks.isEmpty { throw ValidationError("name at least one network to remove") }
    }

    func run() throws {
        let client = try Connection.client()
        var failed = false
        for ref in networks {
            do {
                try client.removeNetwork(ref)
                print(ref)
            } catch let e as BerthError {
                printError("Error response from daemon: \(e.message)")
                failed = true
            }
        }
        if failed { throw CLIFailure(code: 1) }
    }
}

/// `berth network prune`
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove all user-defined networks that no container uses.")

    @Flag(name: [.short, .long], help: "Do not prompt for confirmation.")
    var force = false

    @Option(help: "Only prune networks matching: label=key[=value], until=<RFC 3339 time>.")
    var filter: [String] = []

    func run() throws {
        let filters = try NetworkFilters.parse(arguments: filter)
        if !force {
            guard isatty(0) == 1 else {
                printError("berth network prune asks for confirmation, and standard input is not a terminal: pass -f/--force")
                throw CLIFailure(code: 1)
            }
            print("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { return }
        }
        let reply = try Connection.client().pruneNetworks(filters: filters)
        if !reply.networksDeleted.isEmpty {
            print("Deleted Networks:")
            for n in reply.networksDeleted { print(n) }
        }
    }
}

import BerthAPI
#if canImport(Glibc)
import Glibc
#endif
