import BerthAddressing
import BerthCore
import BerthSystem

extension NetlinkConnection {
    /// `ip addr add ADDRESS/PREFIX brd + dev LINK`: adds an IPv4 address with its broadcast address.
    /// Fails with EEXIST when the link already has it.
    public func addAddress(_ address: IPv4Interface, to link: LinkID) throws {
        try addAddress(.v4(address), to: link)
    }

    /// `ip addr add ADDRESS/PREFIX [brd +] dev LINK`, either family. IPv4 gets the subnet's broadcast
    /// address (`brd +`) except on /31 and /32, which have none (RFC 3021). For IPv6, `flags: .noDAD`
    /// makes the address usable at once instead of after duplicate address detection.
    public func addAddress(_ address: InterfaceAddress, to link: LinkID, flags: AddressFlags = []) throws {
        try Self.checkPrefix(address)
        var operation = "ip addr add \(address)"
        if case .v4(let v4) = address, v4.prefixLength <= 30 { operation += " brd +" }
        operation += " dev \(link)"
        if flags.contains(.noDAD) { operation += " nodad" }
        let index = try resolveIndex(link, operation: operation)
        var message = Self.addressMessage(address, index: index)
        // iproute2's default scope: host for 127/8, otherwise global (the kernel picks IPv6 scopes itself).
        if case .v4(let v4) = address, v4.address.isLoopback { message.header.scope = .host }
        if case .v4(let v4) = address, v4.prefixLength <= 30 {
            message.attributes.append(.broadcast(v4.network.broadcast.bytes))
        }
        if !flags.isEmpty {
            message.header.flags = UInt8(truncatingIfNeeded: flags.rawValue)
            message.attributes.append(.flags(flags))
        }
        try request(.request(.newAddress, flags: [.create, .exclusive], .address(message)), operation: operation)
    }

    /// `ip addr del ADDRESS/PREFIX dev LINK`. An address (or link) that is already gone counts as deleted.
    public func deleteAddress(_ address: IPv4Interface, from link: LinkID) throws {
        try deleteAddress(.v4(address), from: link)
    }

    /// `ip addr del ADDRESS/PREFIX dev LINK`, either family; already gone is success.
    public func deleteAddress(_ address: InterfaceAddress, from link: LinkID) throws {
        try Self.checkPrefix(address)
        let operation = "ip addr del \(address) dev \(link)"
        // A link that is gone took its addresses with it.
        guard let index = try resolveIndexUnlessGone(link, operation: operation) else { return }
        do {
            _ = try requestUnlessGone(
                .request(.deleteAddress, .address(Self.addressMessage(address, index: index))), operation: operation)
        } catch {
            // EADDRNOTAVAIL is the kernel's answer for an address the link does not have.
            if error.errno != .EADDRNOTAVAIL { throw error }
        }
    }

    /// `ip addr show [dev LINK]`: addresses of one link, or of all links, optionally of one family.
    public func addresses(on link: LinkID? = nil, family: AddressFamily = .unspecified) throws -> [AddressInfo] {
        var operation = "ip addr show"
        if family == .ipv4 { operation = "ip -4 addr show" }
        if family == .ipv6 { operation = "ip -6 addr show" }
        var index: Int?
        if let link {
            operation += " dev \(link)"
            index = try resolveIndex(link, operation: operation)
        }
        // With strict checking the kernel filters by index itself; older kernels ignore the field, so the
        // result is filtered here as well.
        let header = AddressHeader(family: family, index: UInt32(index ?? 0))
        let replies = try dump(.request(.getAddress, .address(AddressMessage(header: header))), operation: operation)
        var result: [AddressInfo] = []
        for reply in replies {
            guard case .address(let m) = reply.payload, let info = AddressInfo(m) else { continue }
            if let index, info.index != index { continue }
            if family != .unspecified && info.address.family != family { continue }
            result.append(info)
        }
        return result
    }

    /// `ifaddrmsg` plus IFA_LOCAL and IFA_ADDRESS (both the address, as iproute2 sends on non-point-to-point
    /// links).
    static func addressMessage(_ address: InterfaceAddress, index: Int) -> AddressMessage {
        let bytes = address.address.bytes
        return AddressMessage(
            header: AddressHeader(
                family: address.family, prefixLength: UInt8(address.prefixLength), index: UInt32(index)),
            attributes: [.local(bytes), .address(bytes)])
    }

    private static func checkPrefix(_ address: InterfaceAddress) throws(BerthError) {
        if case .v6(_, let n) = address, !(0...128).contains(n) {
            throw .invalid("IPv6 prefix length \(n) is outside 0…128")
        }
    }
}
