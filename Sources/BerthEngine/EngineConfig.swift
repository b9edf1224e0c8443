import BerthAddressing
import BerthCore
import BerthIPAM
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
    public var pools: [AddressPool]
    /// MTU for new networks; nil = the default-route interface's MTU (1500 if there is none).
    public var mtu: Int?
    /// nftables table berth owns.
    public var firewallTable: String

    public init(
        root: String, run: String, hostNamespace: NetworkNamespace = .current, defaultBridgeName: String = "berth0",
        bip: IPv4Interface? = nil, pools: [AddressPool] = AddressPool.dockerDefaults,
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
}
