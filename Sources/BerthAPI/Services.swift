/// What the API server needs from the engine for `/networks`. Implementations throw `BerthError`
/// for anything a user should read; its code decides the HTTP status.
public protocol NetworkService: Sendable {
    func listNetworks(filters: NetworkFilters) async throws -> [NetworkResource]
    func inspectNetwork(_ idOrName: String) async throws -> NetworkResource
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkCreateResponse
    func removeNetwork(_ idOrName: String) async throws
    func pruneNetworks(filters: NetworkFilters) async throws -> NetworkPruneResponse
}

/// `/version` and `/info`.
public protocol SystemService: Sendable {
    func version() async throws -> VersionResponse
    func info() async throws -> InfoResponse
}
