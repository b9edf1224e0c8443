import ArgumentParser
import BerthAPI
import BerthClient
import BerthCompose
import BerthCore
import Foundation

/// `berth compose up`: networks, then containers in `depends_on` order; idempotent by config hash.
struct ComposeUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create and start the project's networks and containers.",
        discussion: """
            Running up again changes nothing that has not changed: a container whose service config is the \
            same (the com.docker.compose.config-hash label) is left running, or started if it stopped; a \
            changed service's container is recreated. Every check (images, external networks, container: \
            targets) is made before anything is created.

            Without -d, up follows the output of the started services, each line prefixed "service-1  | ", \
            until they all end, or until Ctrl-C, which stops them (like docker compose; exit status 130).
            """)

    @OptionGroup var options: ComposeProjectOptions
    @Flag(name: [.short, .long], help: "Start in the background and return.") var detach = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if their configuration is unchanged.")
    var forceRecreate = false
    @Option(
        name: [.short, .long],
        help: "Seconds to wait for a container to stop when recreating or on Ctrl-C (default 10).")
    var timeout: Int?
    @Argument(help: "Services to start (with what they depend on); all when none are named.") var services: [String] =
        []

    func run() throws {
        let project = try options.load()
        let selected: [ComposeService]
        do { selected = try project.selecting(services) } catch let e as BerthError {
            printError(e.message)
            throw CLIFailure(code: 1)
        }
        let client = try Connection.client()
        let session = ComposeSession(client: client, project: project.name)
        try ComposeUp.preflight(project, selected, client)
        try ComposeUp.makeNetworks(project, selected, client)
        let existing = try session.containers()
        let known = Set(project.services.map(\.name))
        let orphans = existing.filter { !known.contains($0.Labels[ComposeLabel.service] ?? "") }.map(session.name)
        if !orphans.isEmpty {
            printError(
                "WARN[0000] Found orphan containers (\(orphans.joined(separator: ", "))) for this project; berth compose down removes them."
            )
        }
        var recreated: Set<String> = []
        var started: [String] = []
        for s in selected {
            let request = project.containerCreateRequest(s)
            let name = s.containerName(project: project.name)
            let hash = request.Labels?[ComposeLabel.configHash]
            var current = existing.first { $0.Labels[ComposeLabel.service] == s.name }
            let sharedChanged: Bool = {
                if case .service(let other) = s.networkMode { return recreated.contains(other) }
                return false
            }()
            if let c = current, forceRecreate || c.Labels[ComposeLabel.configHash] != hash || sharedChanged {
                ComposeSession.progress("Container \(name)", "Recreate")
                if c.State == "running" {
                    try client.send("POST", "/containers/\(c.Id)/stop" + ComposeUp.query(timeout))
                }
                try client.send("DELETE", "/containers/\(c.Id)?force=1")
                current = nil
                recreated.insert(s.name)
            }
            var id = current?.Id ?? ""
            if current == nil {
                do {
                    id = try ContainerCLI.create(client, request, name: name, image: s.image ?? "")
                } catch is CLIFailure {
                    throw CLIFailure(code: 1)  // docker compose's code; berth run/create use 125
                }
                ComposeSession.progress("Container \(name)", "Created")
            }
            if current?.State == "running" {
                ComposeSession.progress("Container \(name)", "Running")
            } else {
                do {
                    try client.send("POST", "/containers/\(id)/start")
                } catch let e as BerthError {
                    printError("Error response from daemon: \(e.message)")
                    throw CLIFailure(code: 1)
                }
                ComposeSession.progress("Container \(name)", "Started")
            }
            started.append(s.name)
        }
        if detach { return }
        try ComposeLogPrinter.attach(session: session, services: started, timeout: timeout)
    }

    static func query(_ timeout: Int?) -> String { timeout.map { "?t=\($0)" } ?? "" }

    /// Everything up needs from berthd that is not in the file: checked before anything is made.
    static func preflight(_ project: ComposeProject, _ selected: [ComposeService], _ client: BerthClient) throws {
        var problems: [String] = []
        let images = try client.call("GET", "/images/json", as: [ImageSummary].self)
        for s in selected {
            guard let image = s.image else { continue }
            let tag = normalize(image)
            let hex = image.hasPrefix("sha256:") ? String(image.dropFirst(7)) : image
            let found = images.contains { i in
                i.RepoTags.contains(tag) || (hex.count >= 4 && i.Id.dropFirst(7).hasPrefix(hex))
            }
            if !found {
                problems.append(
                    "service \(s.name): image \(image) is not in berth's image store (berth does not pull; add it with berth load or berth import)"
                )
            }
            if case .container(let ref) = s.networkMode {
                if (try? client.checked("GET", "/containers/" + BerthClient.escapePath(ref) + "/json")) == nil {
                    problems.append("service \(s.name), key network_mode: no such container: \(ref)")
                }
            }
        }
        let used = Set(selected.flatMap { $0.networks.map(\.name) })
        for n in project.networks where n.external && used.contains(n.key) {
            if (try? client.inspectNetwork(n.name)) == nil {
                problems.append(
                    "network \(n.key) declared as external, but could not be found: create it with berth network create \(n.name)"
                )
            }
        }
        if !problems.isEmpty {
            for p in problems { printError(p) }
            throw CLIFailure(code: 1)
        }
    }

    /// `<project>_default` and the declared networks the selected services use, unless they exist.
    static func makeNetworks(_ project: ComposeProject, _ selected: [ComposeService], _ client: BerthClient) throws {
        let used = Set(selected.flatMap { $0.networks.map(\.name) })
        for n in project.networks where !n.external && used.contains(n.key) {
            if let existing = try? client.inspectNetwork(n.name) {
                if existing.labels[ComposeLabel.project] != project.name {
                    printError(
                        "WARN[0000] a network with name \(n.name) exists but was not created by berth compose for project \"\(project.name)\"; using it"
                    )
                }
                continue
            }
            do {
                _ = try client.createNetwork(project.networkCreateRequest(n))
            } catch let e as BerthError {
                printError("Error response from daemon: network \(n.name): \(e.message)")
                throw CLIFailure(code: 1)
            }
            ComposeSession.progress("Network \(n.name)", "Created")
        }
    }

    /// berthd's image names: `busybox` is `busybox:latest`; docker.io/library/ is implied.
    static func normalize(_ reference: String) -> String {
        ImageReference.normalize(reference)
    }
}
