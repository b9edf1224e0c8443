import BerthAddressing
import BerthCore
import BerthSystem

/// Everything the engine is told at start: paths, names and network defaults.
public struct EngineConfig: Sendable {
    /// `$BERTH_ROOT`: database and (later) images and containers.
    public var root: String
    /// `$BERTH_RUN`: socket, netns pins, locks.
    public var run: String
    /// The namespace that plays "the host": the real one normally; tests pass a throwaway one.
    public var hostNamespace: NetworkNamespace
    /// Linux bridge for the default `bridge` network.
    public var defaultBridgeName: String
    /// The default bridge's address and prefix (`bip`), nil = 172.17.0.1/16 or the first free pool subnet.
    public var bip: IPv4Interface?
    /// Pools user networks take subnets from, in order.
    public var pools: [(base: IPv4Network, size: Int)]
    /// MTU for new networks; nil = the default-route interface's MTU (1500 if there is none).
    public var mtu: Int?
    /// nftables table berth owns.
    public var firewallTable: String

    public init(
        root: String, run: String, hostNamespace: NetworkNamespace = .current, defaultBridgeName: String = "berth0",
        bip: IPv4Interface? = nil, pools: [(base: IPv4Network, size: Int)] = EngineConfig.defaultPools,
        mtu: Int? = nil, firewallTable: String = "berth"
    ) {
        self.root = root
        self.run = run
        self.hostNamespace = hostNamespace
        self.defaultBridgeName = defaultBridgeName
        self.bip = bip
        self.pools = pools
        self.mtu = mtu
        self.firewallTable = firewallTable
    }

    /// Docker's defaults: /16s from 172.17.0.0–172.31.255.255, then /20s of 192.168.0.0/16.
    public static let defaultPools: [(base: IPv4Network, size: Int)] = [
        (IPv4Network(IPv4Address(172, 17, 0, 0), prefixLength: 16), 16),
        (IPv4Network(IPv4Address(172, 18, 0, 0), prefixLength: 15), 16),
        (IPv4Network(IPv4Address(172, 20, 0, 0), prefixLength: 14), 16),
        (IPv4Network(IPv4Address(172, 24, 0, 0), prefixLength: 13), 16),
        (IPv4Network(IPv4Address(192, 168, 0, 0), prefixLength: 16), 20),
    ]
}
