import BerthAddressing
import BerthCore
import BerthIPAM

/// What a bridge network needs from the kernel of the host namespace.
public struct BridgeSpec: Sendable, Equatable {
    public var name: InterfaceName
    public var gateway: IPv4Interface
    public var mtu: Int

    public init(name: InterfaceName, gateway: IPv4Interface, mtu: Int) {
        self.name = name
        self.gateway = gateway
        self.mtu = mtu
    }
}

/// One veth pair joining a sandbox (a network namespace) to a bridge.
public struct AttachmentSpec: Sendable, Equatable {
    /// `veth<7 hex>` on the host, enslaved to `bridge`.
    public var hostInterface: InterfaceName
    /// `eth0`… inside the sandbox.
    public var sandboxInterface: InterfaceName
    public var sandbox: String
    public var bridge: InterfaceName
    public var address: IPv4Interface
    public var mac: MACAddress
    public var mtu: Int
    /// Install a default route via this gateway (the first non-internal network of a sandbox).
    public var defaultGateway: IPv4Address?

    public init(
        hostInterface: InterfaceName, sandboxInterface: InterfaceName, sandbox: String, bridge: InterfaceName,
        address: IPv4Interface, mac: MACAddress, mtu: Int, defaultGateway: IPv4Address?
    ) {
        self.hostInterface = hostInterface
        self.sandboxInterface = sandboxInterface
        self.sandbox = sandbox
        self.bridge = bridge
        self.address = address
        self.mac = mac
        self.mtu = mtu
        self.defaultGateway = defaultGateway
    }
}

/// The kernel operations the network engine performs, behind a protocol so the engine's logic is
/// unit-tested with a fake and run for real with `LinuxNetworkKernel` (netlink + /proc/sys).
public protocol NetworkKernel: Sendable {
    /// Routes of the host's main table (IPv4), for choosing subnets that do not collide.
    func hostRoutes() throws -> [HostRoute]
    /// The MTU of the interface carrying the default route, if there is one.
    func defaultRouteMTU() throws -> Int?
    /// `ip link add NAME type bridge; ip addr add GW dev NAME; ip link set NAME up` — idempotent:
    /// an existing bridge of that name is adopted and given the address if it lacks it.
    func ensureBridge(_ spec: BridgeSpec) throws
    /// Whether a link of that name exists in the host namespace.
    func linkExists(_ name: String) throws -> Bool
    /// `ip link del NAME`; already gone is success.
    func deleteLink(_ name: String) throws
    /// Names of host links whose name starts with `prefix` (for finding orphans).
    func linkNames(prefix: String) throws -> [String]
    /// Creates the veth pair with its peer directly in the sandbox and configures both ends.
    func attach(_ spec: AttachmentSpec) throws
    /// Sets host `net.ipv4.ip_forward=1` (bridged containers need it to reach anything off-host).
    func enableIPForwarding() throws
    /// Sets `net.ipv4.conf.<bridge>.route_localnet=1`, so DNAT from 127.0.0.1 to a container works.
    func enableRouteLocalnet(bridge: String) throws
}
