import ArgumentParser
import BerthAPI
import BerthCore

/// `berth network ls`
struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List networks.", aliases: ["list"])

    @Flag(name: [.short, .long], help: "Only display network IDs.")
    var quiet = false

    @Option(name: [.short, .long], help: "Filter output: name=, id=, driver=, label=key[=value], type=custom|builtin, dangling=true.")
    var filter: [String] = []

    @Option(help: "Format with a Go template: 'table {{.ID}}\\t{{.Name}}', or fields .ID .Name .Driver .Scope .IPv6 .Internal .Labels .CreatedAt; or 'json'.")
    var format: String?

    @Flag(name: .customLong("no-trunc"), help: "Do not truncate the output (full IDs).")
    var noTrunc = false

    func run() throws {
        let filters = try NetworkFilters.parse(arguments: filter)
        let nets = try Connection.client().listNetworks(filters: filters).sorted { $0.name < $1.name }
        let id = { (n: NetworkResource) in noTrunc ? n.id : String(n.id.prefix(12)) }
        if quiet {
            for n in nets { print(id(n)) }
            return
        }
        let rows: [[String: Any]] = nets.map { n in
            [
                "ID": id(n), "Name": n.name, "Driver": n.driver, "Scope": n.scope, "IPv6": n.enableIPv6 ? "true" : "false",
                "Internal": n.internal ? "true" : "false", "CreatedAt": n.created,
                "Labels": n.labels.keys.sorted().map { "\($0)=\(n.labels[$0] ?? "")" }.joined(separator: ","),
            ]
        }
        guard var format else {
            var table = [["NETWORK ID", "NAME", "DRIVER", "SCOPE"]]
            table += nets.map { [id($0), $0.name, $0.driver, $0.scope] }
            print(TableWriter.render(table), terminator: "")
            return
        }
        if format == "json" { format = "{{json .}}" }
        var isTable = false
        if format.hasPrefix("table") {
            isTable = true
            format = String(format.dropFirst("table".count)).trimmingCharacters(in: .whitespaces)
        }
        format = format.replacingOccurrences(of: "\\t", with: "\t")
        let template = try GoTemplate(format)
        var lines: [[String]] = []
        if isTable {
            let headers = ["ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL", "CreatedAt": "CREATED AT", "Labels": "LABELS"]
            lines.append(try template.render(json: headers).components(separatedBy: "\t"))
        }
        for r in rows { lines.append(try template.render(json: r).components(separatedBy: "\t")) }
        print(isTable ? TableWriter.render(lines) : lines.map { $0.joined(separator: "\t") }.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"), terminator: "")
    }
}

import Foundation
