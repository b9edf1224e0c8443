import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore

/// `berth dns CONTAINER`: what the container's resolver answers, for "could not resolve host".
struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Show what a container's resolver answers: the names it can resolve and its resolv.conf.",
        discussion: """
            Containers on user-defined networks use berth's resolver at 127.0.0.11, which answers the names,
            aliases and short ids of containers on the networks they share (and host.docker.internal); every
            other name is forwarded to the host's resolvers. Containers on the default bridge resolve no
            container names.
            """)
    @Option(name: [.short, .long], help: "Go template, or json.") var format: String?
    @Argument(help: "Container name or ID.") var container: String

    func run() throws {
        let client = try Connection.client()
        let r = try client.call("GET", "/berth/containers/\(BerthClient.escapePath(container))/dns", as: ContainerDNSReport.self)
        if let format {
            print(format == "json" ? try GoTemplate("{{json .}}").render(r) : try GoTemplate(format).render(r))
            return
        }
        if r.Embedded {
            print("\(r.Container) asks berth's resolver at 127.0.0.11 (networks: \(r.Networks.joined(separator: ", "))).")
            print("It answers:")
            print(TableWriter.render([["NAME", "ADDRESS", "NETWORK"]] + r.Names.map { [$0.Name, $0.Address, $0.Network] }), terminator: "")
            print("Other names go to the host's resolvers.")
        } else {
            print("\(r.Container) is on no user-defined network (or not running): no container names resolve; its resolvers are those of its resolv.conf.")
        }
        print("\n/etc/resolv.conf:\n" + r.ResolvConf, terminator: r.ResolvConf.hasSuffix("\n") ? "" : "\n")
    }
}
