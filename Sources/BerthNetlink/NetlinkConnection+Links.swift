import BerthAddressing
import BerthCore
import BerthSystem

extension NetlinkConnection {
    // MARK: reading links

    /// `ip link show NAME`: the link, or nil when there is none of that name in this namespace.
    public func link(named name: String) throws -> Link? {
        try link(.name(name))
    }

    /// `ip link show` for one index: the link, or nil when no link has that index in this namespace.
    public func link(index: Int) throws -> Link? {
        try link(.index(index))
    }

    /// The link `id` names, or nil when it does not exist (ENODEV from the kernel is not an error here).
    public func link(_ id: LinkID) throws -> Link? {
        let id = try id.validated()
        var message = LinkMessage(attributes: [.extMask(ExtendedFilter.skipStats)])
        switch id {
        case .index(let i): message.header.index = Int32(i)
        case .name(let n): message.attributes.append(.name(n))
        }
        let operation = "ip link show \(id)"
        guard let replies = try requestUnlessGone(.request(.getLink, .link(message)), operation: operation) else {
            return nil
        }
        for reply in replies {
            if case .link(let m) = reply.payload, let link = Link(m) { return link }
        }
        throw NetlinkError(operation: describe(operation), errno: .badMessage, detail: "the kernel sent no link")
    }

    /// `ip -d link show`: every link in this namespace, in index order.
    public func links() throws -> [Link] {
        // Statistics would make each reply several times larger and berth never reads them.
        let message = LinkMessage(attributes: [.extMask(ExtendedFilter.skipStats)])
        let replies = try dump(.request(.getLink, .link(message)), operation: "ip link show")
        var links: [Link] = []
        for reply in replies {
            guard case .link(let m) = reply.payload else { continue }
            guard let link = Link(m) else {
                throw NetlinkError(
                    operation: describe("ip link show"), errno: .badMessage, detail: "a link reply has no name")
            }
            links.append(link)
        }
        return links.sorted { $0.index < $1.index }
    }

    // MARK: creating and deleting

    /// `ip link add NAME [mtu N] [address MAC] type bridge stp_state 0 …`. Fails with EEXIST when a link of
    /// that name exists. Returns the new bridge.
    @discardableResult
    public func createBridge(
        name: String, mtu: Int? = nil, mac: MACAddress? = nil, options: BridgeOptions = BridgeOptions()
    ) throws -> Link {
        _ = try InterfaceName(validating: name)
        var attributes: [LinkAttribute] = [.name(name)]
        var operation = "ip link add \(name)"
        if let mtu {
            attributes.append(.mtu(try Self.checkedMTU(mtu)))
            operation += " mtu \(mtu)"
        }
        if let mac {
            // An explicit address also stops the bridge from taking over its first port's MAC.
            attributes.append(.address(mac.bytes))
            operation += " address \(mac)"
        }
        attributes.append(.linkInfo([.kind(LinkKind.bridge.rawValue), .data(.bridge(options.attributes))]))
        operation += " type bridge"
        try request(
            .request(.newLink, flags: [.create, .exclusive], .link(LinkMessage(attributes: attributes))),
            operation: operation)
        return try created(name, operation: operation)
    }

    /// `ip link add NAME [mtu N] type veth peer name PEER [mtu N] [netns NS]`: a veth pair whose peer is
    /// created directly inside `peerNamespace` (IFLA_NET_NS_FD in the peer's attributes), so it never
    /// appears in this namespace and no move is needed. Returns this namespace's end; its `parentIndex` is
    /// the peer's index.
    @discardableResult
    public func createVeth(
        name: String, peerName: String, peerNamespace: NetworkNamespace? = nil, mtu: Int? = nil,
        mac: MACAddress? = nil, peerMAC: MACAddress? = nil
    ) throws -> Link {
        _ = try InterfaceName(validating: name)
        _ = try InterfaceName(validating: peerName)
        var checkedMTU: UInt32?
        if let mtu { checkedMTU = try Self.checkedMTU(mtu) }
        var operation = "ip link add \(name)"
        if let mtu { operation += " mtu \(mtu)" }
        operation += " type veth peer name \(peerName)"
        if let mtu { operation += " mtu \(mtu)" }

        var peer: [LinkAttribute] = [.name(peerName)]
        if let checkedMTU { peer.append(.mtu(checkedMTU)) }
        if let peerMAC { peer.append(.address(peerMAC.bytes)) }
        var namespaceFD: Int32?
        if let peerNamespace {
            let fd = try peerNamespace.open()
            namespaceFD = fd
            peer.append(.netNsFD(fd))
            operation += " netns \(peerNamespace.path)"
        }
        defer { if let namespaceFD { Syscall.close(namespaceFD) } }

        var attributes: [LinkAttribute] = [.name(name)]
        if let checkedMTU { attributes.append(.mtu(checkedMTU)) }
        if let mac { attributes.append(.address(mac.bytes)) }
        attributes.append(
            .linkInfo([.kind(LinkKind.veth.rawValue), .data(.veth([.peer(LinkMessage(attributes: peer))]))]))
        try request(
            .request(.newLink, flags: [.create, .exclusive], .link(LinkMessage(attributes: attributes))),
            operation: operation)
        return try created(name, operation: operation)
    }

    /// `ip link del NAME`. A link that is already gone counts as deleted. Deleting one end of a veth pair
    /// deletes both.
    public func deleteLink(named name: String) throws {
        try deleteLink(.name(name))
    }

    /// `ip link del` by index or name; already gone is success.
    public func deleteLink(_ id: LinkID) throws {
        let id = try id.validated()
        _ = try requestUnlessGone(.request(.deleteLink, .link(Self.target(id))), operation: "ip link del \(id)")
    }

    // MARK: changing

    /// `ip link set LINK up`.
    public func setUp(_ id: LinkID) throws {
        try changeLink(id, flags: .up, change: .up, operation: "ip link set \(id) up")
    }

    /// `ip link set LINK down`.
    public func setDown(_ id: LinkID) throws {
        try changeLink(id, flags: [], change: .up, operation: "ip link set \(id) down")
    }

    /// `ip link set LINK mtu N`.
    public func setMTU(_ id: LinkID, to mtu: Int) throws {
        try changeLink(id, [.mtu(try Self.checkedMTU(mtu))], operation: "ip link set \(id) mtu \(mtu)")
    }

    /// `ip link set LINK address MAC`.
    public func setMAC(_ id: LinkID, to mac: MACAddress) throws {
        try changeLink(id, [.address(mac.bytes)], operation: "ip link set \(id) address \(mac)")
    }

    /// `ip link set LINK name NEW`. The kernel refuses (EBUSY) while the link is up.
    public func rename(_ id: LinkID, to newName: String) throws {
        _ = try InterfaceName(validating: newName)
        let operation = "ip link set \(id) name \(newName)"
        // IFLA_IFNAME is the new name here, so the link must be named by index.
        let index = try resolveIndex(id, operation: operation)
        try changeLink(.index(index), [.name(newName)], operation: operation)
    }

    /// `ip link set LINK master BRIDGE`: makes the link a port of the bridge.
    public func setMaster(_ id: LinkID, master: LinkID) throws {
        let operation = "ip link set \(id) master \(master)"
        let masterIndex = try resolveIndex(master, operation: operation)
        try changeLink(id, [.master(UInt32(masterIndex))], operation: operation)
    }

    /// `ip link set LINK type bridge_slave hairpin on|off`: whether the bridge may send a frame back out of
    /// the port it came in on. A container reaching its own published port through the host needs it:
    /// after DNAT the reply path leaves through the very port the request arrived on.
    public func setHairpin(_ id: LinkID, _ on: Bool) throws {
        let operation = "ip link set \(id) type bridge_slave hairpin \(on ? "on" : "off")"
        // IFLA_INFO_SLAVE_DATA { IFLA_BRPORT_MODE (4): u8 } — bridge port options, as iproute2 sends them.
        let slaveData = try NetlinkAttribute.nested(
            LinkInfoAttributeType.slaveData.rawValue, [.u8(Self.bridgePortMode, on ? 1 : 0)])
        try changeLink(id, [.linkInfo([.slaveKind(LinkKind.bridge.rawValue), .other(slaveData)])], operation: operation)
    }

    /// IFLA_BRPORT_MODE in linux/if_link.h: the port's hairpin flag.
    static let bridgePortMode: UInt16 = 4

    /// `ip link set LINK addrgenmode none`: the kernel gives the link no IPv6 link-local address,
    /// so it sends no duplicate-address probes, router solicitations or MLD reports. berth's
    /// networks are IPv4 only; on a bridge every such multicast is flooded to every port, so each
    /// new container would cost every other container on the network a few packets.
    public func disableIPv6AddressGeneration(_ id: LinkID) throws {
        // IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE: u8 IN6_ADDR_GEN_MODE_NONE } }
        let inet6 = try NetlinkAttribute.nested(Self.afINET6, [.u8(Self.inet6AddrGenMode, Self.addrGenModeNone)])
        let spec = try NetlinkAttribute.nested(Self.ifla_AF_SPEC, [inet6])
        try changeLink(id, [.other(spec)], operation: "ip link set \(id) addrgenmode none")
    }

    /// linux/if_link.h and linux/socket.h numbers for `disableIPv6AddressGeneration`.
    static let ifla_AF_SPEC: UInt16 = 26
    static let afINET6: UInt16 = 10
    static let inet6AddrGenMode: UInt16 = 8
    static let addrGenModeNone: UInt8 = 1

    /// `ip link set LINK nomaster`: releases the link from its bridge.
    public func setNoMaster(_ id: LinkID) throws {
        try changeLink(id, [.master(0)], operation: "ip link set \(id) nomaster")
    }

    /// `ip link set LINK netns NS`: moves the link into another namespace (where it keeps its name, and
    /// loses its addresses and its bridge).
    public func moveLink(_ id: LinkID, to namespace: NetworkNamespace) throws {
        let fd = try namespace.open()
        defer { Syscall.close(fd) }
        try changeLink(id, [.netNsFD(fd)], operation: "ip link set \(id) netns \(namespace.path)")
    }

    // MARK: helpers

    /// `request`, but nil instead of an error when the kernel says the object is gone (ENOENT, ENODEV,
    /// ESRCH): what lookups and idempotent deletes want.
    func requestUnlessGone(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> [NetlinkMessage]? {
        do {
            return try request(message, operation: operation)
        } catch {
            if error.errno.meansAlreadyGone { return nil }
            throw error
        }
    }

    /// An RTM_NEWLINK without NLM_F_CREATE: changes an existing link (ENODEV when there is none).
    private func changeLink(
        _ id: LinkID, _ attributes: [LinkAttribute] = [], flags: InterfaceFlags = [], change: InterfaceFlags = [],
        operation: String
    ) throws {
        var message = Self.target(try id.validated())
        message.header.flags = flags
        message.header.change = change
        message.attributes += attributes
        try request(.request(.newLink, .link(message)), operation: operation)
    }

    /// A link message addressed to `id`: by `ifi_index`, or by IFLA_IFNAME with index 0.
    static func target(_ id: LinkID) -> LinkMessage {
        switch id {
        case .index(let i): LinkMessage(header: InterfaceInfoHeader(index: Int32(i)))
        case .name(let n): LinkMessage(attributes: [.name(n)])
        }
    }

    /// The index of `id`, looking a name up; ENODEV (as the kernel would say) when there is no such link.
    func resolveIndex(_ id: LinkID, operation: String) throws -> Int {
        switch try id.validated() {
        case .index(let i):
            return i
        case .name(let n):
            guard let link = try link(named: n) else {
                throw NetlinkError(operation: describe(operation), errno: .ENODEV, detail: "no interface named \(n)")
            }
            return link.index
        }
    }

    /// The index of `id`, or nil when it names a link that does not exist.
    func resolveIndexUnlessGone(_ id: LinkID, operation: String) throws -> Int? {
        switch try id.validated() {
        case .index(let i): i
        case .name(let n): try link(named: n)?.index
        }
    }

    /// Reads back a link just created, so callers get its index and the kernel's view of it.
    private func created(_ name: String, operation: String) throws -> Link {
        guard let link = try link(named: name) else {
            throw NetlinkError(
                operation: describe(operation), errno: .ENODEV, detail: "\(name) vanished right after it was created")
        }
        return link
    }

    static func checkedMTU(_ mtu: Int) throws(BerthError) -> UInt32 {
        // 68 is the IPv4 minimum (RFC 791); the kernel enforces each device's own range.
        guard mtu >= 68, mtu <= 65535 else { throw .invalid("MTU \(mtu) is outside 68…65535") }
        return UInt32(mtu)
    }
}
