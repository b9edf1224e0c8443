import BerthAddressing
import BerthCore
import BerthEngine
import BerthFirewall
import BerthIPAM
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// A kernel that keeps links in memory and can be told to fail at a chosen operation.
final class FakeKernel: NetworkKernel, @unchecked Sendable {
    private let lock = NSLockLike()
    private var _links: [String: String] = [:]  // name → kind
    private var _attachments: [String: AttachmentSpec] = [:]
    var routes: [HostRoute] = []
    var mtu: Int? = 1400
    var failOn: String?
    private(set) var calls: [String] = []

    var links: [String: String] { lock.with { _links } }
    var attachments: [String: AttachmentSpec] { lock.with { _attachments } }

    private func record(_ call: String) throws {
        try lock.with {
            _calls.append(call)
            if let f = failOn, call.hasPrefix(f) {
                throw SystemCallError(call: "fake \(call)", errno: .EPERM)
            }
        }
    }
    private var _calls: [String] {
        get { calls }
        set { calls = newValue }
    }

    func hostRoutes() throws -> [HostRoute] { routes }
    func defaultRouteMTU() throws -> Int? { mtu }
    func ensureBridge(_ spec: BridgeSpec) throws {
        try record("ensureBridge \(spec.name)")
        lock.with { _links[spec.name.value] = "bridge" }
    }
    func linkExists(_ name: String) throws -> Bool { lock.with { _links[name] != nil } }
    func deleteLink(_ name: String) throws {
        try record("deleteLink \(name)")
        lock.with {
            _links[name] = nil
            _attachments[name] = nil
        }
    }
    func linkNames(prefix: String) throws -> [String] { lock.with { _links.keys.filter { $0.hasPrefix(prefix) } } }
    func attach(_ spec: AttachmentSpec) throws {
        try record("attach \(spec.hostInterface)")
        lock.with {
            _links[spec.hostInterface.value] = "veth"
            _attachments[spec.hostInterface.value] = spec
        }
    }
    func enableIPForwarding() throws { try record("ip_forward") }
    func enableRouteLocalnet(bridge: String) throws { try record("route_localnet \(bridge)") }
}

final class NSLockLike: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() {
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(&m, &attr)
    }
    func with<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}
