import ArgumentParser

/// `berth network …`
struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Manage networks: Linux bridges with their subnets, NAT and isolation rules.",
        subcommands: [
            NetworkCreate.self, NetworkList.self, NetworkInspect.self, NetworkRemove.self, NetworkPrune.self,
            NetworkConnect.self, NetworkDisconnect.self,
        ])
}
