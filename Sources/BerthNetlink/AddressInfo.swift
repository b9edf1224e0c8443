import BerthAddressing

/// An address with its prefix length, of either family.
public enum InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// `172.18.0.2/16`.
    case v4(IPv4Interface)
    /// `fd00::2/64`.
    case v6(IPv6Address, prefixLength: Int)

    /// The address without its prefix length.
    public var address: IPAddress {
        switch self {
        case .v4(let i): .v4(i.address)
        case .v6(let a, _): .v6(a)
        }
    }

    /// The prefix length.
    public var prefixLength: Int {
        switch self {
        case .v4(let i): i.prefixLength
        case .v6(_, let n): n
        }
    }

    /// AF_INET or AF_INET6.
    public var family: AddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The IPv4 form, if this is one.
    public var ipv4: IPv4Interface? {
        if case .v4(let i) = self { return i }
        return nil
    }

    /// `address/prefix`.
    public var description: String { "\(address)/\(prefixLength)" }
}

/// An address configured on an interface, as `ip addr show` lists it.
public struct AddressInfo: Hashable, Sendable, CustomStringConvertible {
    /// The interface index.
    public var index: Int
    /// The address and prefix length.
    public var address: InterfaceAddress
    /// `scope global` / `link` / `host`.
    public var scope: RouteScope
    /// IFA_LABEL (IPv4 only).
    public var label: String?
    /// IFA_BROADCAST (IPv4 only).
    public var broadcast: IPv4Address?
    /// IFA_F_* flags (`permanent`, `tentative`, `nodad`…).
    public var flags: AddressFlags

    /// An address entry.
    public init(
        index: Int, address: InterfaceAddress, scope: RouteScope = .universe, label: String? = nil,
        broadcast: IPv4Address? = nil, flags: AddressFlags = []
    ) {
        self.index = index
        self.address = address
        self.scope = scope
        self.label = label
        self.broadcast = broadcast
        self.flags = flags
    }

    /// `inet 172.18.0.1/16 brd 172.18.255.255 scope global` (on ifindex N).
    public var description: String {
        var text = "\(address.family) \(address)"
        if let broadcast { text += " brd \(broadcast)" }
        text += " scope \(scope) ifindex \(index)"
        return text
    }
}

extension AddressInfo {
    /// Builds an entry from an RTM_NEWADDR reply; nil for families other than IPv4/IPv6 or odd sizes.
    init?(_ message: AddressMessage) {
        guard let bytes = message.localAddress else { return nil }
        let prefix = Int(message.header.prefixLength)
        let address: InterfaceAddress
        switch message.header.family {
        case .ipv4:
            guard let a = IPv4Address(bytes: bytes), prefix <= 32 else { return nil }
            address = .v4(IPv4Interface(a, prefixLength: prefix))
        case .ipv6:
            guard let a = IPv6Address(bytes: bytes), prefix <= 128 else { return nil }
            address = .v6(a, prefixLength: prefix)
        default:
            return nil
        }
        self.init(
            index: Int(message.header.index), address: address, scope: message.header.scope, label: message.label,
            broadcast: message.broadcast.flatMap { IPv4Address(bytes: $0) }, flags: message.flags)
    }
}
