import ArgumentParser
import BerthAPI
import BerthClient
import BerthCompose
import BerthCore
import Foundation

/// `berth compose`: multi-container projects from a compose file, driving berthd through its API the
/// way `docker compose` drives dockerd (same names, same labels).
struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose",
        abstract: "Run multi-container projects from a compose file.",
        discussion: """
            Usage: berth compose [-f FILE…] [-p NAME] [--project-directory DIR] [--env-file FILE] SUBCOMMAND …

            The file is compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml in the current \
            directory unless -f names one or more (merged in order). ${VAR} and ${VAR:-default} are filled from \
            the environment and the project directory's .env. The project is named by -p, else the file's \
            name: key, else the directory's name.

            Containers are <project>-<service>-1 on <project>_default (and the networks the file declares), \
            labelled com.docker.compose.project/service like docker compose's, and reach each other by \
            service name.

            Exit status: 14 when no compose file is found, 15 when the file is invalid (nothing is created), \
            1 when berthd refuses something.
            """,
        subcommands: [
            ComposeUp.self, ComposeDown.self, ComposePs.self, ComposeLogs.self, ComposeConfig.self,
            ComposeStart.self, ComposeStop.self, ComposeRestart.self, ComposeExec.self,
        ])

    /// The options that come before the subcommand (`berth compose -f a.yml -p x up`), moved after it,
    /// where every subcommand declares them (ArgumentParser gives a parent's options to no subcommand).
    static let projectOptions: Set<String> = [
        "-f", "--file", "-p", "--project-name", "--project-directory", "--env-file",
    ]

    static func hoistProjectOptions(_ args: [String]) -> [String] {
        guard let i = args.firstIndex(of: "compose"), args[..<i].allSatisfy({ $0.hasPrefix("-") }) else { return args }
        var hoisted: [String] = []
        var j = i + 1
        while j < args.count {
            let a = args[j]
            if projectOptions.contains(a), j + 1 < args.count {
                // Long forms after the subcommand: `-f` there means --follow to `logs`, as in docker compose.
                hoisted += [a == "-f" ? "--file" : a == "-p" ? "--project-name" : a, args[j + 1]]
                j += 2
            } else if let eq = a.firstIndex(of: "="), projectOptions.contains(String(a[..<eq])) {
                hoisted.append(a)
                j += 1
            } else {
                break
            }
        }
        guard !hoisted.isEmpty, j < args.count else { return args }
        return Array(args[...i]) + [args[j]] + hoisted + Array(args[(j + 1)...])
    }
}

/// The flags every compose subcommand takes (and `berth compose` itself, before the subcommand).
struct ComposeProjectOptions: ParsableArguments {
    @Option(
        name: .customLong("file"),
        help: "Compose file (repeat to merge several, in order); -f FILE before the subcommand.")
    var file: [String] = []
    @Option(
        name: [.short, .customLong("project-name")],
        help: "Project name (default: the file's name: key, else the directory's name).")
    var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Project directory (default: the first file's directory).")
    var projectDirectory: String?
    @Option(name: .customLong("env-file"), help: "Read interpolation variables from this file instead of .env.")
    var envFile: [String] = []

    /// Loads and validates the project; prints its warnings. A missing file exits 14, an invalid one 15,
    /// as docker compose does.
    func load() throws -> ComposeProject {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
        let files = file.map(absolute)
        let directory =
            projectDirectory.map(absolute)
            ?? files.first.map { ($0 as NSString).deletingLastPathComponent } ?? cwd
        do {
            let project = try ComposeLoader.load(
                files: files, directory: directory, projectName: projectName,
                environment: ProcessInfo.processInfo.environment,
                envFiles: envFile.isEmpty ? nil : envFile.map(absolute))
            for w in project.warnings { printError("WARN[0000] \(w)") }
            return project
        } catch let e as BerthError {
            printError(e.message)
            throw CLIFailure(code: e.code == .notFound ? 14 : 15)
        }
    }

    /// The project's name without reading the file in full when -p is given (down/ps/logs of a
    /// project whose file is gone still work with -p).
    func projectNameOnly() throws -> String {
        if let projectName { return ComposeLoader.sanitize(projectName) }
        return try load().name
    }
}

/// What the compose subcommands share: the project's containers and networks as berthd has them.
struct ComposeSession {
    let client: BerthClient
    let project: String

    /// The project's containers (all states), optionally only some services', in name order.
    func containers(services: [String] = []) throws -> [ContainerSummary] {
        let filters = ContainerFilters(["label": ["\(ComposeLabel.project)=\(project)"]])
        let list = try client.call(
            "GET", "/containers/json?all=1&filters=" + BerthClient.escapeQuery(filters.json),
            as: [ContainerSummary].self)
        return list.filter { services.isEmpty || services.contains($0.Labels[ComposeLabel.service] ?? "") }
            .sorted { name($0) < name($1) }
    }

    /// The project's networks (by label).
    func networks() throws -> [NetworkResource] {
        try client.listNetworks(filters: NetworkFilters(["label": ["\(ComposeLabel.project)=\(project)"]]))
    }

    func name(_ c: ContainerSummary) -> String {
        (c.Names.first ?? c.Id).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    /// `service-1`, the prefix of log lines and progress messages.
    func shortName(_ c: ContainerSummary) -> String {
        let service = c.Labels[ComposeLabel.service] ?? name(c)
        return "\(service)-\(c.Labels[ComposeLabel.containerNumber] ?? "1")"
    }

    /// Runs `action` on each container at once (stops take seconds each), collecting failures.
    func forEach(_ list: [ContainerSummary], _ action: @escaping @Sendable (ContainerSummary) throws -> Void) throws {
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: list.count) { i in
            do { try action(list[i]) } catch let e as BerthError {
                failures.append("\(name(list[i])): \(e.message)")
            } catch { failures.append("\(name(list[i])): \(error)") }
        }
        let all = failures.items
        if !all.isEmpty {
            for f in all { printError("Error response from daemon: \(f)") }
            throw CLIFailure(code: 1)
        }
    }

    static func progress(_ what: String, _ state: String) { printError(" \(what)  \(state)") }
}

/// A list several threads append to.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ s: String) { lock.withLock { storage.append(s) } }
    var items: [String] { lock.withLock { storage } }
}
