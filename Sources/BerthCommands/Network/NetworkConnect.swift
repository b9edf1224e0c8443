import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore

/// `berth network connect`: a running container gets another interface (eth1…) live.
struct NetworkConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Connect a container to a network (a running one gets a new ethN at once).")
    @Option(name: .long, help: "Another DNS name on this network.") var alias: [String] = []
    @Option(name: .long, help: "IPv4 address on the network.") var ip: String?
    @Argument(help: "Network name or ID.") var network: String
    @Argument(help: "Container name or ID.") var container: String

    func run() throws {
        let client = try Connection.client()
        var ep = EndpointSettings()
        ep.Aliases = alias.isEmpty ? nil : alias
        if let ip { ep.IPAMConfig = EndpointIPAMConfig(IPv4Address: ip) }
        try client.send(
            "POST", "/networks/" + BerthClient.escapePath(network) + "/connect",
            body: NetworkConnectRequest(Container: container, EndpointConfig: ep))
    }
}

/// `berth network disconnect`.
struct NetworkDisconnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect", abstract: "Disconnect a container from a network (its interface goes at once).")
    @Flag(name: [.short, .long], help: "Force.") var force = false
    @Argument(help: "Network name or ID.") var network: String
    @Argument(help: "Container name or ID.") var container: String

    func run() throws {
        let client = try Connection.client()
        try client.send(
            "POST", "/networks/" + BerthClient.escapePath(network) + "/disconnect",
            body: NetworkDisconnectRequest(Container: container, Force: force))
    }
}
