import BerthAPI
import BerthCore
import BerthStore

/// The Docker Engine API's view of the engine's networks.
extension NetworkEngine: NetworkService {
    public func listNetworks(filters: NetworkFilters) async throws -> [NetworkResource] {
        try networks().compactMap { n in
            let r = try resource(n)
            return filters.matches(r, predefined: n.predefined) ? r : nil
        }
    }

    public func inspectNetwork(_ idOrName: String) async throws -> NetworkResource {
        try resource(try network(idOrName))
    }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkCreateResponse {
        let configs = request.ipam?.config ?? []
        guard configs.count <= 1 else {
            throw BerthError.invalid("berth supports one IPv4 IPAM config per network; got \(configs.count)")
        }
        if let driver = request.ipam?.driver, driver != "default" {
            throw BerthError.invalid("IPAM driver \"\(driver)\" is not supported; berth has the \"default\" driver")
        }
        let c = configs.first
        let spec = NetworkCreateSpec(
            name: request.name, driver: request.driver ?? "bridge", subnet: c?.subnet, gateway: c?.gateway,
            ipRange: c?.ipRange, internal: request.internal ?? false, attachable: request.attachable ?? false,
            enableIPv6: request.enableIPv6 ?? false, options: request.options ?? [:], labels: request.labels ?? [:])
        let n = try createNetwork(spec)
        return NetworkCreateResponse(id: n.id)
    }

    public func pruneNetworks(filters: NetworkFilters) async throws -> NetworkPruneResponse {
        var keep: Set<String> = []
        for n in try networks() {
            let r = try resource(n)
            if !filters.matches(r, predefined: n.predefined) { keep.insert(n.id) }
        }
        let removed = try pruneNetworks { [keep] n in !keep.contains(n.id) }
        return NetworkPruneResponse(networksDeleted: removed)
    }

    /// A network record with its endpoints, in Docker's shape.
    func resource(_ n: NetworkRecord) throws -> NetworkResource {
        var containers: [String: EndpointResource] = [:]
        for ep in try endpoints(network: n.id) {
            containers[ep.ownerId] = EndpointResource(
                name: ep.ownerName, endpointID: ep.id, macAddress: ep.mac,
                ipv4Address: ep.ipv4.map { "\($0)/\(ep.prefixLength)" } ?? "")
        }
        let config: [IPAMConfig] =
            n.subnet.map { [IPAMConfig(subnet: $0, ipRange: n.ipRange, gateway: n.gateway)] } ?? []
        return NetworkResource(
            name: n.name, id: n.id, created: n.created, driver: n.driver, ipam: IPAM(config: config),
            internal: n.internal, attachable: n.attachable, containers: containers, options: n.options,
            labels: n.labels)
    }
}
