import BerthNetlink
import BerthSystem
import BerthTestSupport
import Foundation
import Synchronization

/// Two throwaway network namespaces pinned at `/run/berth-test-<hex>/netns/{a,b}`. `close()` deletes both
/// and removes the directories; call it with `defer` so it runs when a test fails.
final class TestNamespaces: Sendable {
    let directory: String
    let a: NetworkNamespace
    let b: NetworkNamespace

    init() throws {
        try TestSupport.requireRoot()
        let directory = "/run/berth-test-\(TestSupport.randomHex(8))"
        let a = try NetworkNamespace.create(at: directory + "/netns/a")
        do {
            b = try NetworkNamespace.create(at: directory + "/netns/b")
        } catch {
            try? a.delete()
            TestNamespaces.removeDirectories(directory)
            throw error
        }
        self.a = a
        self.directory = directory
    }

    func close() {
        try? a.delete()
        try? b.delete()
        TestNamespaces.removeDirectories(directory)
    }

    private static func removeDirectories(_ directory: String) {
        // rmdir, not rm -rf: a namespace pin that failed to unmount must stay visible as a leftover.
        _ = rmdir(directory + "/netns")
        _ = rmdir(directory)
    }

    /// Runs a program inside `namespace` (for checking berth's work with iproute2 and ping).
    static func run(_ argv: [String], in namespace: NetworkNamespace) throws -> SubprocessResult {
        try namespace.run { try Subprocess.run(argv) }
    }

    /// `ip -j -d link show` inside `namespace`, parsed.
    static func ipLinks(in namespace: NetworkNamespace) throws -> [[String: Any]] {
        let result = try run(["ip", "-j", "-d", "link", "show"], in: namespace)
        guard result.succeeded else { throw TestFailure("ip -j -d link show failed: \(result.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        guard let links = json as? [[String: Any]] else {
            throw TestFailure("unexpected ip -j output: \(result.stdout)")
        }
        return links
    }

    /// `ip -j addr show` inside `namespace`, parsed.
    static func ipAddresses(in namespace: NetworkNamespace) throws -> [[String: Any]] {
        let result = try run(["ip", "-j", "addr", "show"], in: namespace)
        guard result.succeeded else { throw TestFailure("ip -j addr show failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }

    /// `ip -j route show` inside `namespace`, parsed.
    static func ipRoutes(in namespace: NetworkNamespace) throws -> [[String: Any]] {
        let result = try run(["ip", "-j", "route", "show"], in: namespace)
        guard result.succeeded else { throw TestFailure("ip -j route show failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 50 ms for up to `seconds`: carrier changes reach user space through the
/// kernel's linkwatch work, which can lag up to a second.
func eventually(seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// What a fake kernel saw and did; shared with the test after the fake is handed to the connection.
final class FakeKernelLog: Sendable {
    private let state = Mutex<(requests: [NetlinkMessage], reopens: Int, receives: Int)>(([], 0, 0))

    var requests: [NetlinkMessage] { state.withLock { $0.requests } }
    var reopens: Int { state.withLock { $0.reopens } }
    var receives: Int { state.withLock { $0.receives } }

    func record(_ message: NetlinkMessage) { state.withLock { $0.requests.append(message) } }
    func recordReopen() { state.withLock { $0.reopens += 1 } }
    func recordReceive() { state.withLock { $0.receives += 1 } }
}

/// A transport whose "kernel" is a closure: given each decoded request, it returns the datagrams (or
/// receive errors) to hand back. An empty queue behaves like the receive timeout (EAGAIN).
final class FakeKernel: NetlinkTransport {
    enum Event {
        case datagram([UInt8], sender: UInt32 = 0)
        case failure(Errno)
    }

    let portID: UInt32 = 4242
    private var queue: [Event] = []
    private let log: FakeKernelLog
    private let answer: (NetlinkMessage, Int) throws -> [Event]

    /// `answer` gets the request and how many requests came before it.
    init(log: FakeKernelLog, answer: @escaping (NetlinkMessage, Int) throws -> [Event]) {
        self.log = log
        self.answer = answer
    }

    func send(_ bytes: [UInt8]) throws(SystemCallError) {
        guard let message = try? NetlinkMessage.decode(datagram: bytes).first else {
            throw SystemCallError(call: "fake send: undecodable request", errno: .EINVAL)
        }
        let count = log.requests.count
        log.record(message)
        do {
            queue += try answer(message, count)
        } catch {
            throw SystemCallError(call: "fake kernel: \(error)", errno: .EIO)
        }
    }

    func receive() throws(SystemCallError) -> (bytes: [UInt8], senderPortID: UInt32) {
        log.recordReceive()
        guard !queue.isEmpty else { throw SystemCallError(call: "fake receive", errno: .EAGAIN) }
        switch queue.removeFirst() {
        case .datagram(let bytes, let sender): return (bytes, sender)
        case .failure(let errno): throw SystemCallError(call: "fake receive", errno: errno)
        }
    }

    func reopen() throws {
        log.recordReopen()
        queue.removeAll()
    }
}

/// Wraps a real socket and counts datagrams, to show that a large dump arrives in several parts.
final class CountingTransport: NetlinkTransport {
    private let inner: NetlinkSocket
    private let log: FakeKernelLog

    init(_ inner: NetlinkSocket, log: FakeKernelLog) {
        self.inner = inner
        self.log = log
    }

    var portID: UInt32 { inner.portID }
    func send(_ bytes: [UInt8]) throws(SystemCallError) { try inner.send(bytes) }
    func receive() throws(SystemCallError) -> (bytes: [UInt8], senderPortID: UInt32) {
        log.recordReceive()
        return try inner.receive()
    }
    func reopen() throws { try inner.reopen() }
}

extension NetlinkMessage {
    /// A reply message of `payload` to `request`, as the kernel frames it.
    func reply(_ payload: NetlinkPayload, flags: NetlinkFlags = [], portID: UInt32 = 4242) -> NetlinkMessage {
        NetlinkMessage(
            header: NetlinkHeader(type: payload.replyType, flags: flags, sequence: header.sequence, portID: portID),
            payload: payload)
    }
}

extension NetlinkPayload {
    var replyType: NetlinkMessageType {
        switch self {
        case .link: .newLink
        case .address: .newAddress
        case .route: .newRoute
        case .error: .error
        case .done: .done
        case .noop: .noop
        case .other: NetlinkMessageType(rawValue: 0)
        }
    }
}
