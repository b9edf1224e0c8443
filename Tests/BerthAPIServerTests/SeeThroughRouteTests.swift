import BerthAPI
import BerthAPIServer
import BerthClient
import BerthCore
import BerthSystem
import BerthTestSupport
import Synchronization
import Testing

/// Records what the routes pass on, and answers with fixed reports.
final class FakeSeeThrough: SeeThroughService {
    let calls = Mutex<[String]>([])

    func topology(network: String?) async throws -> TopologyReport {
        calls.withLock { $0.append("topology \(network ?? "-")") }
        if network == "nope" { throw BerthError.notFound("network nope not found") }
        return TopologyReport(
            Host: TopologyNamespace(Path: "/proc/self/ns/net", Inode: 7), Uplinks: [], Bridges: [], Containers: [],
            Warnings: [])
    }

    func namespaces(_ refs: [String]) async throws -> NamespaceReport {
        calls.withLock { $0.append("ns \(refs.joined(separator: "|"))") }
        return NamespaceReport(
            Reference: NamespaceReference(Kind: "berthd", Pid: 1, Reason: "r", Namespaces: [:]), Containers: [],
            Shared: [])
    }

    func debugInfo(_ ref: String) async throws -> DebugInfo {
        calls.withLock { $0.append("debug \(ref)") }
        throw BerthError.conflict("container \(ref) is not running: start it first (berth start \(ref))")
    }

    func liveView(_ ref: String) async throws -> ContainerLiveView {
        calls.withLock { $0.append("live \(ref)") }
        throw BerthError.notFound("No such container: \(ref)")
    }
}

@Suite("see-through routes", .serialized) struct SeeThroughRouteTests {
    @Test func routesPassParametersAndMapErrors() async throws {
        let dir = try TestSupport.makeTempDirectory(prefix: "berth-see-test")
        defer { TestSupport.removeTree(dir) }
        let fake = FakeSeeThrough()
        let server = APIServer(
            socketPath: dir + "/berth.sock",
            routes: Routes.all(networks: FakeNetworks(), system: FakeSystem(), seeThrough: fake))
        try await server.start()
        let client = BerthClient(socketPath: dir + "/berth.sock")
        let result = await Result {
            try await DedicatedThread.run {
                #expect(try client.call("GET", "/berth/topology", as: TopologyReport.self).Host.Inode == 7)
                _ = try client.call("GET", "/berth/topology?network=front", as: TopologyReport.self)
                #expect(try client.request("GET", "/berth/topology?network=nope").status == 404)
                _ = try client.call("GET", "/berth/ns", as: NamespaceReport.self)
                _ = try client.call("GET", "/berth/ns?containers=web,db", as: NamespaceReport.self)
                let stopped = try client.request("GET", "/berth/containers/web/debug-info")
                #expect(stopped.status == 409)
                #expect(String(decoding: stopped.body, as: UTF8.self).contains("container web is not running"))
            }
        }
        try await server.stop()
        try result.get()
        #expect(
            fake.calls.withLock { $0 } == [
                "topology -", "topology front", "topology nope", "ns ", "ns web|db", "debug web",
            ])
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
