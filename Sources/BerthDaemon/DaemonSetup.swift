import BerthCore
import BerthEngine
import BerthFirewall
import BerthIPAM
import BerthStore
import BerthSystem

/// The daemon's parts, made from its options and config file.
struct DaemonSetup: Sendable {
    let options: DaemonOptions
    let config: DaemonNetworkConfig
    let engine: NetworkEngine
    let firewall: NftablesDriver
    var warnings: [String] { config.warnings }

    static func make(options: DaemonOptions, store: Store) throws -> DaemonSetup {
        let config = try DaemonNetworkConfig.load(path: options.configFile)
        let engineConfig = EngineConfig(
            root: options.root, run: options.run, hostNamespace: .current, defaultBridgeName: options.defaultBridge,
            bip: config.bip, pools: config.defaultAddressPools, mtu: config.mtu, firewallTable: options.firewallTable)
        let firewall = NftablesDriver()
        let engine = NetworkEngine(
            config: engineConfig, store: store, kernel: try LinuxNetworkKernel(), firewall: firewall)
        return DaemonSetup(options: options, config: config, engine: engine, firewall: firewall)
    }
}
