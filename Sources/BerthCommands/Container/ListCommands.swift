import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import Foundation

/// `berth ps`.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers (running ones unless -a).")
    @Flag(name: [.short, .long], help: "Show all containers, not only running ones.") var all = false
    @Flag(name: [.short, .long], help: "Only IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate IDs and commands.") var noTrunc = false
    @Option(name: [.short, .long], help: "Filter: id, name, label, status, network, ancestor, exited (key=value).")
    var filter: [String] = []
    @Option(name: .long, help: "Go template over .ID .Names .Image .Command .Status .State .Ports .Networks .Labels .CreatedAt .RunningFor, or 'table …'.")
    var format: String?

    func run() throws {
        let client = try Connection.client()
        let filters = try ContainerFilters.parse(arguments: filter)
        var q = all ? "?all=1" : "?all=0"
        if !filters.isEmpty { q += "&filters=" + BerthClient.escapeQuery(filters.json) }
        let list = try client.call("GET", "/containers/json" + q, as: [ContainerSummary].self)
        if quiet {
            for c in list { print(noTrunc ? c.Id : String(c.Id.prefix(12))) }
            return
        }
        let rows = list.map { PsCommand.fields($0, noTrunc: noTrunc) }
        if var format {
            let table = format.hasPrefix("table ")
            if table { format.removeFirst("table ".count) }
            let template = try GoTemplate(format)
            var lines: [[String]] = []
            for r in rows { lines.append([try template.render(json: r)]) }
            if table {
                let header = try GoTemplate(format).render(json: Dictionary(uniqueKeysWithValues: PsCommand.headers.map { ($0.key, $0.value as Any) }))
                print(([header] + lines.map { $0[0] }).joined(separator: "\n"))
            } else {
                for l in lines { print(l[0]) }
            }
            return
        }
        let columns = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"]
        var table = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        for r in rows { table.append(columns.map { "\(r[$0] ?? "")" }) }
        print(TableWriter.render(table), terminator: "")
    }

    static let headers: [String: String] = [
        "ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Command": "COMMAND", "Status": "STATUS",
        "State": "STATE", "Ports": "PORTS", "Networks": "NETWORKS", "Labels": "LABELS", "CreatedAt": "CREATED AT",
        "RunningFor": "CREATED",
    ]

    /// Docker's `ps` formatter fields.
    static func fields(_ c: ContainerSummary, noTrunc: Bool) -> [String: Any] {
        let command = noTrunc || c.Command.count <= 20 ? c.Command : String(c.Command.prefix(19)) + "…"
        let ports = c.Ports.map { p in
            if let pub = p.PublicPort, pub > 0 { return "\(p.IP ?? "0.0.0.0"):\(pub)->\(p.PrivatePort)/\(p.Type)" }
            return "\(p.PrivatePort)/\(p.Type)"
        }.joined(separator: ", ")
        let created = Date(timeIntervalSince1970: TimeInterval(c.Created))
        let ago = Date().timeIntervalSince(created)
        return [
            "ID": noTrunc ? c.Id : String(c.Id.prefix(12)),
            "Names": c.Names.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }.joined(separator: ","),
            "Image": c.Image, "Command": "\"\(command)\"", "Status": c.Status, "State": c.State, "Ports": ports,
            "Networks": c.NetworkSettings.Networks.keys.sorted().joined(separator: ","),
            "Labels": c.Labels.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            "CreatedAt": "\(created)", "RunningFor": HumanDuration.text(seconds: ago) + " ago",
        ]
    }
}

/// `berth inspect`: containers, then images, then networks, in Docker's JSON.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show low-level information on containers, images or networks, in Docker's JSON.",
        discussion: "A container's JSON is Docker's plus \"Live\", read from the kernel when asked: its namespace (path and inode), each interface with the host end of its veth (name, ifindex, bridge), published ports from the DNAT maps, and the embedded resolver's sockets. Examples: -f '{{.Live.Namespace.Inode}}', -f '{{range .Live.Interfaces}}{{.Name}}@if{{.PeerIndex}} {{.HostVeth}}{{end}}', -f '{{.State.Pid}}', -f '{{.NetworkSettings.IPAddress}}', -f '{{json .NetworkSettings.Ports}}', -f '{{(index .NetworkSettings.Networks \"bridge\").MacAddress}}', -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'.")
    @Option(name: [.short, .long], help: "Format with a Go template.") var format: String?
    @Option(name: .long, help: "Only this kind: container, image or network.") var type: String?
    @Argument(help: "Names or IDs.") var objects: [String]

    func run() throws {
        let client = try Connection.client()
        var found: [JSONValue] = []
        var failed = false
        for ref in objects {
            let kinds = type.map { [$0] } ?? ["container", "image", "network"]
            var value: JSONValue?
            for kind in kinds {
                let path: String
                switch kind {
                case "container": path = ContainerCLI.path(ref) + "/json"
                case "image": path = "/images/" + BerthClient.escapePath(ref) + "/json"
                case "network": path = "/networks/" + BerthClient.escapePath(ref)
                default: throw ValidationError("--type must be container, image or network")
                }
                if var v = try? client.call("GET", path, as: JSONValue.self) {
                    // berth's addition for containers: the live view, read from the kernel now.
                    if kind == "container", case .object(var fields) = v,
                        let live = try? client.call("GET", "/berth" + ContainerCLI.path(ref) + "/live", as: JSONValue.self)
                    {
                        fields["Live"] = live
                        v = .object(fields)
                    }
                    value = v
                    break
                }
            }
            if let value {
                found.append(value)
            } else {
                printError("Error: No such object: \(ref)")
                failed = true
            }
        }
        if let format {
            let template = try GoTemplate(format)
            for v in found { print(try template.render(json: v.plain)) }
        } else {
            print(JSONValue.array(found).pretty())
        }
        if failed { throw CLIFailure(code: 1) }
    }
}
