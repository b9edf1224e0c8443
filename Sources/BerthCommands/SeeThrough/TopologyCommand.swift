import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import BerthSystem
import Foundation

/// `berth topology`: the network picture, read by berthd from the live kernel.
struct TopologyCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, dot, svg, json
    }

    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Draw the host's interfaces, berth's bridges, veth pairs and containers from live kernel state.",
        discussion: """
            berthd dumps links and addresses over netlink in the host namespace and inside each running
            container's network namespace, pairs each bridge port (veth…@ifN) with the interface at the other
            end, and reads published ports from berth's nftables DNAT maps; its records only supply names.
            Containers in host mode are shown in the host's namespace, container:X sharers in X's.

            Formats: text (a tree), json (the TopologyReport document: Host, Uplinks, Bridges with their Veths,
            Containers with Interfaces and Ports, Warnings), dot (Graphviz input), svg (dot rendered by
            Graphviz's `dot -Tsvg`, which must be installed: apt-get install graphviz).
            """)
    @Option(help: "Show only this network's bridge and the containers attached to it.") var network: String?
    @Option(help: "text, json, dot or svg.") var format: Format = .text

    func run() throws {
        let client = try Connection.client()
        var path = "/berth/topology"
        if let network {
            path +=
                "?network="
                + (network.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? network)
        }
        let report = try client.call("GET", path, as: TopologyReport.self)
        switch format {
        case .text: print(TopologyRender.text(report), terminator: "")
        case .json: print(try SeeThroughJSON.encode(report))
        case .dot: print(TopologyRender.dot(report), terminator: "")
        case .svg: print(try Self.svg(TopologyRender.dot(report)), terminator: "")
        }
    }

    /// Renders DOT with Graphviz's `dot`, which berth does not bundle.
    static func svg(_ dot: String) throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard paths.contains(where: { FileSystem.exists("\($0)/dot") }) else {
            throw BerthError(
                .notFound,
                "--format svg needs Graphviz's dot program, which is not installed: install it with apt-get install graphviz, or use --format dot"
            )
        }
        let r = try Subprocess.run(["dot", "-Tsvg"], input: Array(dot.utf8))
        guard r.status == 0 else {
            throw BerthError(.system, "Graphviz's dot could not render the topology: \(r.stderr)")
        }
        return r.stdout
    }
}

/// Indented JSON with sorted keys for `--format json` of berth's own reports.
enum SeeThroughJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
