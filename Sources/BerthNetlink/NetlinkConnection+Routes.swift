import BerthAddressing
import BerthCore

extension NetlinkConnection {
    /// `ip route add DESTINATION|default [via GATEWAY] [dev LINK] [metric N] [table T]`. A route needs a
    /// gateway, an output link, or both; without a gateway it is a directly attached (`scope link`) route.
    /// Fails with EEXIST when an identical route exists, ENETUNREACH when the gateway is not reachable.
    public func addRoute(
        destination: IPv4Network?, gateway: IPv4Address? = nil, oif: LinkID? = nil, metric: UInt32? = nil,
        table: RouteTable = .main
    ) throws {
        guard gateway != nil || oif != nil else {
            throw BerthError.invalid(
                "a route to \(destination?.description ?? "default") needs a gateway or an output interface")
        }
        let operation = "ip route add " + Self.describeRoute(destination, gateway, oif, metric, table)
        var message = try routeMessage(destination, gateway, oif, table, operation: operation)
        message.header.protocol = .boot
        message.header.scope = gateway == nil ? .link : .universe
        message.header.type = .unicast
        if let metric { message.attributes.append(.priority(metric)) }
        try request(.request(.newRoute, flags: [.create, .exclusive], .route(message)), operation: operation)
    }

    /// `ip route add default via GATEWAY [dev LINK]`.
    public func addDefaultRoute(via gateway: IPv4Address, oif: LinkID? = nil) throws {
        try addRoute(destination: nil, gateway: gateway, oif: oif)
    }

    /// `ip route del DESTINATION|default [via GATEWAY] [dev LINK] [table T]`: removes the matching route
    /// (any scope and protocol). A route that is already gone counts as deleted.
    public func deleteRoute(
        destination: IPv4Network?, gateway: IPv4Address? = nil, oif: LinkID? = nil, table: RouteTable = .main
    ) throws {
        let operation = "ip route del " + Self.describeRoute(destination, gateway, oif, nil, table)
        // A route through a link that is gone went with the link.
        var resolvedOIF: LinkID?
        if let oif {
            guard let index = try resolveIndexUnlessGone(oif, operation: operation) else { return }
            resolvedOIF = .index(index)
        }
        let message = try routeMessage(destination, gateway, resolvedOIF, table, operation: operation)
        var request = message
        // RT_SCOPE_NOWHERE and protocol/type 0 are the kernel's wildcards for a delete.
        request.header.scope = .nowhere
        _ = try requestUnlessGone(.request(.deleteRoute, .route(request)), operation: operation)
    }

    /// `ip route show [table T]` (`ip -6 route show` for IPv6): the routes of one table (nil = all tables),
    /// without the kernel's cached (cloned) entries.
    public func routes(family: AddressFamily = .ipv4, table: RouteTable? = .main) throws -> [Route] {
        var operation = family == .ipv6 ? "ip -6 route show" : "ip route show"
        if let table { operation += " table \(table)" }
        // With strict checking the kernel filters by table itself; the result is filtered here as well for
        // kernels that ignore the request header.
        var message = RouteMessage(header: RouteHeader(family: family))
        if let table {
            if table.rawValue < 256 {
                message.header.table = UInt8(table.rawValue)
            } else {
                message.attributes.append(.table(table.rawValue))
            }
        }
        let replies = try dump(.request(.getRoute, .route(message)), operation: operation)
        var result: [Route] = []
        for reply in replies {
            guard case .route(let m) = reply.payload, m.header.flags & RouteHeader.clonedFlag == 0,
                let route = Route(m)
            else { continue }
            if let table, route.table != table { continue }
            if family != .unspecified && route.family != family { continue }
            result.append(route)
        }
        return result
    }

    private func routeMessage(
        _ destination: IPv4Network?, _ gateway: IPv4Address?, _ oif: LinkID?, _ table: RouteTable, operation: String
    ) throws -> RouteMessage {
        var message = RouteMessage(
            header: RouteHeader(family: .ipv4, destinationLength: UInt8(destination?.prefixLength ?? 0)))
        if table.rawValue < 256 {
            message.header.table = UInt8(table.rawValue)
        } else {
            message.attributes.append(.table(table.rawValue))
        }
        if let destination { message.attributes.append(.destination(destination.network.bytes)) }
        if let gateway { message.attributes.append(.gateway(gateway.bytes)) }
        if let oif { message.attributes.append(.outputInterface(UInt32(try resolveIndex(oif, operation: operation)))) }
        return message
    }

    private static func describeRoute(
        _ destination: IPv4Network?, _ gateway: IPv4Address?, _ oif: LinkID?, _ metric: UInt32?, _ table: RouteTable
    ) -> String {
        var text = destination?.description ?? "default"
        if let gateway { text += " via \(gateway)" }
        if let oif { text += " dev \(oif)" }
        if let metric { text += " metric \(metric)" }
        if table != .main { text += " table \(table)" }
        return text
    }
}
