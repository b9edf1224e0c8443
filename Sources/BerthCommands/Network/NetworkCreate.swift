import ArgumentParser
import BerthAPI
import BerthCore

/// `berth network create`
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a network: a Linux bridge br-<id> with the next free subnet (or --subnet).",
        discussion: """
            The new network gets the first /16 of 172.17–172.31 (then /20s of 192.168.0.0/16) that overlaps
            neither another berth network nor a route on the host, unless --subnet says otherwise.
            Prints the network's id.
            """)

    @Option(name: [.short, .long], help: "Driver to manage the network (only \"bridge\").")
    var driver: String = "bridge"

    @Option(help: "Subnet in CIDR notation, e.g. 10.20.0.0/16.")
    var subnet: String?

    @Option(help: "Gateway address for the subnet (default: its first address).")
    var gateway: String?

    @Option(name: .customLong("ip-range"), help: "Allocate container addresses from this sub-range of the subnet.")
    var ipRange: String?

    @Flag(help: "Restrict external access: no route out, no published ports, only members talk to each other.")
    var `internal` = false

    @Flag(help: "Allow manual container attachment (accepted for compatibility).")
    var attachable = false

    @Flag(name: .customLong("ipv6"), help: "Enable IPv6 (not supported yet: refused with an error).")
    var ipv6 = false

    @Option(name: [.short, .customLong("opt")], help: "Driver option key=value, e.g. com.docker.network.driver.mtu=1400 or com.docker.network.bridge.name=br-lab.")
    var options: [String] = []

    @Option(name: .customLong("label"), help: "Metadata key=value on the network.")
    var labels: [String] = []

    @Argument(help: "Name of the network.")
    var name: String

    func validate() throws {
        guard driver == "bridge" else {
            throw ValidationError("network driver \"\(driver)\" is not supported; berth creates \"bridge\" networks")
        }
        if subnet == nil && (gateway != nil || ipRange != nil) {
            throw ValidationError("--gateway and --ip-range need --subnet")
        }
    }

    func run() throws {
        let request = NetworkCreateRequest(
            name: name, driver: driver, internal: `internal`, attachable: attachable, enableIPv6: ipv6,
            ipam: IPAM(config: subnet == nil ? [] : [IPAMConfig(subnet: subnet, ipRange: ipRange, gateway: gateway)]),
            options: try KeyValue.parse(options, what: "--opt"), labels: try KeyValue.parse(labels, what: "--label"))
        let reply = try Connection.client().createNetwork(request)
        if !reply.warning.isEmpty { printError("WARNING: \(reply.warning)") }
        print(reply.id)
    }
}

/// `key=value` flags.
enum KeyValue {
    static func parse(_ items: [String], what: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 || what == "--label", !parts[0].isEmpty else {
                throw ValidationError("invalid \(what) \"\(item)\": expected key=value")
            }
            out[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return out
    }
}
