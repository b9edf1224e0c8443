import BerthAPI
import BerthAPIServer
import BerthClient
import BerthCore
import BerthSystem
import BerthTestSupport
import Testing

/// A network service in memory, so the HTTP layer is tested on its own.
actor FakeNetworks: NetworkService {
    var nets: [String: NetworkResource] = [:]

    func listNetworks(filters: NetworkFilters) async throws -> [NetworkResource] {
        nets.values.filter { filters.matches($0, predefined: false) }.sorted { $0.name < $1.name }
    }
    func inspectNetwork(_ idOrName: String) async throws -> NetworkResource {
        guard let n = nets.values.first(where: { $0.name == idOrName || $0.id.hasPrefix(idOrName) }) else {
            throw BerthError.notFound("network \(idOrName) not found")
        }
        return n
    }
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkCreateResponse {
        if nets.values.contains(where: { $0.name == request.name }) {
            throw BerthError.conflict("network with name \(request.name) already exists")
        }
        let id = Identifier.random()
        nets[id] = NetworkResource(
            name: request.name, id: id, created: "2026-11-23T00:00:00Z", driver: request.driver ?? "bridge",
            ipam: request.ipam ?? IPAM(), internal: request.internal ?? false, attachable: false, containers: [:],
            options: request.options ?? [:], labels: request.labels ?? [:])
        return NetworkCreateResponse(id: id)
    }
    func removeNetwork(_ idOrName: String) async throws {
        let n = try await inspectNetwork(idOrName)
        nets[n.id] = nil
    }
    func pruneNetworks(filters: NetworkFilters) async throws -> NetworkPruneResponse {
        let gone = nets.values.filter { filters.matches($0, predefined: false) }
        for n in gone { nets[n.id] = nil }
        return NetworkPruneResponse(networksDeleted: gone.map(\.name).sorted())
    }
}

struct FakeSystem: SystemService {
    func version() async throws -> VersionResponse {
        VersionResponse(version: "0.0.test", apiVersion: "1.43", minAPIVersion: "1.24", os: "linux", arch: "amd64", kernelVersion: "6")
    }
    func info() async throws -> InfoResponse { throw BerthError(.notImplemented, "no info in this fake") }
}

@Suite("API server over a unix socket", .serialized) struct APIServerTests {
    /// Runs `body` against a live server. The client blocks, so `body` runs on a dedicated thread: blocking
    /// the (two-thread) concurrency pool would starve the server's own tasks.
    func withServer(_ body: @escaping @Sendable (BerthClient) throws -> Void) async throws {
        let dir = try TestSupport.makeTempDirectory(prefix: "berth-api-test")
        defer { TestSupport.removeTree(dir) }
        let server = APIServer(socketPath: dir + "/berth.sock", routes: Routes.all(networks: FakeNetworks(), system: FakeSystem()))
        try await server.start()
        do {
            let client = BerthClient(socketPath: dir + "/berth.sock")
            try await DedicatedThread.run { try body(client) }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func pingVersionAndNetworkRoutes() async throws {
        try await withServer { client in
            #expect(try client.ping())
            #expect(try client.version().version == "0.0.test")
            let created = try client.createNetwork(NetworkCreateRequest(name: "mynet", labels: ["team": "a"]))
            #expect(created.id.count == 64)
            #expect(try client.inspectNetwork("mynet").id == created.id)
            #expect(try client.listNetworks(filters: NetworkFilters(["label": ["team=a"]])).map(\.name) == ["mynet"])
            #expect(try client.listNetworks(filters: NetworkFilters(["label": ["team=b"]])).isEmpty)
            try client.removeNetwork(String(created.id.prefix(6)))
            #expect(try client.listNetworks().isEmpty)
        }
    }

    @Test func errorsAreDockerShaped() async throws {
        try await withServer { client in
            do {
                _ = try client.inspectNetwork("nosuch")
                Issue.record("expected 404")
            } catch let e as BerthError {
                #expect(e.code == .notFound)
                #expect(e.message == "network nosuch not found")
                #expect(BerthClient.isDaemonError(e))
            }
            _ = try client.createNetwork(NetworkCreateRequest(name: "dup"))
            do {
                _ = try client.createNetwork(NetworkCreateRequest(name: "dup"))
                Issue.record("expected 409")
            } catch let e as BerthError { #expect(e.code == .conflict) }

            let malformed = try client.request("POST", "/networks/create", body: Array("{\"Name\": ".utf8))
            #expect(malformed.status == 400)
            #expect(String(decoding: malformed.body, as: UTF8.self).contains("\"message\""))
            let wrongType = try client.request("POST", "/networks/create", body: Array("{\"Name\": 42}".utf8))
            #expect(wrongType.status == 400)
            #expect(String(decoding: wrongType.body, as: UTF8.self).contains("Name"))
            let missingName = try client.request("POST", "/networks/create", body: Array("{}".utf8))
            #expect(missingName.status == 400)
            #expect(try client.request("GET", "/no/such/route").status == 404)
            #expect(try client.request("PUT", "/networks/dup").status == 405)
            let big = try client.request("POST", "/networks/create", body: [UInt8](repeating: 0x20, count: APIServer.maxBodySize + 1))
            #expect(big.status == 413)
            let badFilter = try client.request("GET", "/networks?filters=%7Bbogus")
            #expect(badFilter.status == 400)
            #expect(try client.request("GET", "/info").status == 501)
            // The server is still alive after all of that.
            #expect(try client.ping())
        }
    }

    /// A reply larger than the socket's send buffer arrives whole although the connection closes
    /// after it (the CLI sends `Connection: close`): `berth ps` of 460 containers once got 219 of its 350 KB.
    @Test func largeRepliesArriveWholeBeforeTheClose() async throws {
        try await withServer { client in
            let label = String(repeating: "x", count: 2000)
            for i in 0..<200 { _ = try client.createNetwork(NetworkCreateRequest(name: "n\(i)", labels: ["big": label])) }
            let reply = try client.request("GET", "/networks")
            #expect(reply.status == 200 && reply.body.count > 400_000, "\(reply.body.count) bytes")
            // A client that reads slowly: the server is done writing long before the client has read.
            let slow = try Subprocess.run([
                "curl", "-s", "-H", "Connection: close", "--limit-rate", "400k", "--unix-socket", client.socketPath,
                "http://berth/networks",
            ])
            #expect(slow.succeeded && slow.stdout.utf8.count == reply.body.count, "\(slow.stdout.utf8.count) of \(reply.body.count) bytes")
        }
    }

    @Test func versionedPathsAndHead() async throws {
        try await withServer { client in
            // BerthClient sends /v1.43/…; a bare path works as well, and HEAD /_ping answers without a body.
            let head = try client.request("HEAD", "/_ping")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test func cannotConnectIsAClearError() throws {
        let client = BerthClient(socketPath: "/run/berth-no-such-dir/berth.sock")
        #expect(throws: BerthClientError.self) { try client.ping() }
        do { _ = try client.ping() } catch { #expect("\(error)".contains("is berthd running?")) }
    }
}

@Suite struct FilterTests {
    let net = NetworkResource(
        name: "web-net", id: "abc123" + String(repeating: "0", count: 58), created: "2026-11-23T00:00:00Z",
        driver: "bridge", ipam: IPAM(), internal: false, attachable: false, containers: [:], options: [:],
        labels: ["team": "a", "env": ""])

    @Test func matching() throws {
        #expect(NetworkFilters(["name": ["web"]]).matches(net, predefined: false))
        #expect(!NetworkFilters(["name": ["db"]]).matches(net, predefined: false))
        #expect(NetworkFilters(["id": ["abc"]]).matches(net, predefined: false))
        #expect(NetworkFilters(["label": ["team=a"]]).matches(net, predefined: false))
        #expect(NetworkFilters(["label": ["env"]]).matches(net, predefined: false))
        #expect(!NetworkFilters(["label": ["team=b"]]).matches(net, predefined: false))
        #expect(NetworkFilters(["type": ["custom"]]).matches(net, predefined: false))
        #expect(!NetworkFilters(["type": ["custom"]]).matches(net, predefined: true))
        #expect(NetworkFilters(["dangling": ["true"]]).matches(net, predefined: false))
    }

    @Test func parsing() throws {
        #expect(try NetworkFilters.parse(json: "{\"name\":[\"a\",\"b\"]}").values == ["name": ["a", "b"]])
        #expect(try NetworkFilters.parse(json: "{\"name\":{\"a\":true}}").values == ["name": ["a"]])
        #expect(throws: BerthError.self) { try NetworkFilters.parse(json: "{\"colour\":[\"red\"]}") }
        #expect(throws: BerthError.self) { try NetworkFilters.parse(json: "[1,2") }
        #expect(try NetworkFilters.parse(arguments: ["name=x", "label=k=v"]).values == ["name": ["x"], "label": ["k=v"]])
        #expect(throws: BerthError.self) { try NetworkFilters.parse(arguments: ["nameonly"]) }
    }
}
