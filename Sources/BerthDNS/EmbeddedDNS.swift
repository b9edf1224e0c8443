import BerthAddressing
import BerthCore
import BerthDNSWire
import BerthFirewall
import BerthSystem
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The resolver at 127.0.0.11 inside containers' network namespaces (scenario U3).
///
/// For each sandbox, a UDP socket is opened *inside* its namespace on a dedicated thread, bound to
/// 127.0.0.11 on a random port, and handed to SwiftNIO; an nftables table in that namespace redirects
/// port 53 to it (`DNSRedirect`). Queries for names berth owns are answered from the caller's view;
/// everything else is forwarded, from the host's namespace, to the upstream resolvers, with a timeout
/// that turns an unreachable upstream into a quick SERVFAIL. (UDP only for now; TCP is issue 4's.)
public final class EmbeddedDNS: Sendable {
    /// NIO's process-wide group: it is never shut down, so no query still in flight when berth stops
    /// a resolver can trip over a closed event loop.
    let group: MultiThreadedEventLoopGroup
    let upstreams: [SocketAddress]
    let timeout: TimeAmount
    let budget: ForwardBudget

    /// `upstreams`: resolvers to forward to (the host's resolv.conf or `--dns`); tests use a loopback stub.
    public init(upstreams: [(IPv4Address, UInt16)], timeout: TimeAmount = .seconds(2), maxOutstanding: Int = 256) throws
    {
        budget = ForwardBudget(limit: maxOutstanding)
        group = MultiThreadedEventLoopGroup.singleton
        self.upstreams = try upstreams.map { try SocketAddress(ipAddress: $0.0.description, port: Int($0.1)) }
        self.timeout = timeout
    }

    /// A running resolver in one sandbox.
    public struct Listener: Sendable {
        public let sandbox: NetworkNamespace
        public let udpPort: UInt16
        public let tcpPort: UInt16
        let channels: [any Channel]
    }

    typealias Datagrams = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    typealias Stream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Datagrams taken per `recvmmsg` (and answered per `sendmmsg`); each gets `datagramSize` bytes,
    /// what a single read got before, so a query reads the same either way.
    static let vectorReads = 32
    static let datagramSize = 2048

    /// Starts answering inside `sandbox` over UDP and TCP. `views` is asked on every query, so answers
    /// follow connects, disconnects and removals at once: a UDP query whose view is cached and whose
    /// answer is berth's own is answered on the event loop (`DatagramResponder`); the rest wait for
    /// the view to be built or for an upstream on the async path.
    public func serve(sandbox: NetworkNamespace, views: some DNSViewSource) async throws -> Listener {
        // Both sockets are made inside the sandbox's namespace (on a dedicated thread) and keep it.
        let (udp, tcp) = try await sandbox.run { () throws -> ((fd: Int32, port: UInt16), (fd: Int32, port: UInt16)) in
            // Kept above the descriptor numbers libnftables' select(2) needs (two per sandbox would
            // take them all at ~450 containers, and every firewall change would then start `nft`).
            var u = try Sockets.bindIPv4(.udp, address: DNSRedirect.embeddedResolver.value, port: 0, nonBlocking: true)
            u.fd = Descriptors.moveHigh(u.fd)
            do {
                var t = try Sockets.bindIPv4(
                    .tcp, address: DNSRedirect.embeddedResolver.value, port: 0, nonBlocking: true)
                t.fd = Descriptors.moveHigh(t.fd)
                return (u, t)
            } catch {
                Syscall.close(u.fd)
                throw error
            }
        }
        let forward = Forwarder(upstreams: upstreams, group: group, timeout: timeout, budget: budget)
        let udpChannel: any Channel
        let tcpChannel: any Channel
        do {
            udpChannel = try await DatagramBootstrap(group: group)
                .channelOption(.datagramVectorReadMessageCount, value: EmbeddedDNS.vectorReads)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(
                        capacity: EmbeddedDNS.vectorReads * EmbeddedDNS.datagramSize)
                )
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DatagramResponder(views: views, forward: forward))
                    }
                }
                .withBoundSocket(udp.fd).get()
        } catch {
            Syscall.close(udp.fd)
            Syscall.close(tcp.fd)
            throw BerthError(.system, "cannot serve DNS over UDP in \(sandbox.path)", cause: error)
        }
        do {
            let server = try await ServerBootstrap(group: group).bind(tcp.fd) { child in
                child.eventLoop.makeCompletedFuture { try Stream(wrappingChannelSynchronously: child) }
            }
            tcpChannel = server.channel
            Task {
                try? await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { tasks in
                        for try await connection in connections {
                            tasks.addTask { await EmbeddedDNS.serveTCP(connection, views: views, forward: forward) }
                        }
                    }
                }
            }
        } catch {
            Syscall.close(tcp.fd)
            try? await udpChannel.close()
            throw BerthError(.system, "cannot serve DNS over TCP in \(sandbox.path)", cause: error)
        }
        do {
            let redirect = DNSRedirect(udpPort: udp.port, tcpPort: tcp.port)
            let driver = NftablesDriver(namespace: sandbox)
            if (try? driver.apply(script: redirect.createScript, table: redirect.table)) == nil {
                try driver.apply(script: redirect.script, table: redirect.table)
            }
        } catch {
            try? await udpChannel.close()
            try? await tcpChannel.close()
            throw error
        }
        return Listener(sandbox: sandbox, udpPort: udp.port, tcpPort: tcp.port, channels: [udpChannel, tcpChannel])
    }

    /// Stops answering in a sandbox and removes its redirect (already gone is fine). `sandboxGoing`:
    /// the namespace is about to be deleted, and its redirect with it (removing it first would cost the
    /// wait for the kernel to free it, ~10 ms on every container stop).
    public func stop(_ listener: Listener, sandboxGoing: Bool = false) async {
        for c in listener.channels { try? await c.close() }
        if sandboxGoing { return }
        try? NftablesDriver(namespace: listener.sandbox).remove(table: DNSRedirect.defaultTable)
    }

    /// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): 2-byte length-prefixed messages, answered in order.
    static func serveTCP(_ connection: Stream, views: some DNSViewSource, forward: Forwarder) async {
        try? await connection.executeThenClose { inbound, outbound in
            var pending: [UInt8] = []
            for try await chunk in inbound {
                pending += chunk.readableBytesView
                while pending.count >= 2 {
                    let length = Int(pending[0]) << 8 | Int(pending[1])
                    guard pending.count >= 2 + length else { break }
                    let query = Array(pending[2..<(2 + length)])
                    pending.removeFirst(2 + length)
                    guard let reply = await answer(query, view: await views.current(), forward: forward, overTCP: true)
                    else {
                        return
                    }
                    try await outbound.write(
                        ByteBuffer(bytes: [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply))
                }
                // A message can be at most 65535 bytes; anything claiming more is garbage.
                if pending.count > 65537 { return }
            }
        }
    }

    /// What can be done with a UDP query without waiting.
    enum Immediate {
        /// Send this.
        case reply([UInt8])
        /// Unreadable, not even a header: no reply.
        case drop
        /// Needs the view built, or an upstream: the async path (`answer`).
        case later
    }

    /// The synchronous part of `answer` over UDP, for the event loop: berth's own names from a
    /// cached `view` (the quick path first, then the general one), FORMERR or drop for malformed
    /// packets (no view needed).
    static func answerAtOnce(_ bytes: UnsafeRawBufferPointer, view: DNSView?) -> Immediate {
        if let view, let reply = DNSAnswerer.quickReply(to: bytes, view: view) { return .reply(reply) }
        let query: DNSMessage
        do {
            query = try DNSMessage.decode(Array(bytes))
        } catch {
            return formatError(Array(bytes)).map(Immediate.reply) ?? .drop
        }
        guard let view else { return .later }
        switch DNSAnswerer.decide(query, view: view) {
        case .reply(let m):
            return (try? m.encode(limit: query.udpPayloadSize)).map(Immediate.reply) ?? .drop
        case .forward:
            return .later
        }
    }

    /// FORMERR for a packet that does not decode, if its header can be read (RFC 1035 §4.1.1).
    static func formatError(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 12 else { return nil }
        var formErr = Array(bytes[0..<12])
        formErr[2] = 0x80 | (formErr[2] & 0x79)  // QR, keep opcode and RD
        formErr[3] = DNSRCode.formatError.rawValue
        for i in 4..<12 { formErr[i] = 0 }
        return formErr
    }

    /// One query in, at most one reply out: malformed packets get FORMERR when their header can be
    /// read and are dropped otherwise. Over UDP the reply is cut to the asker's payload size (TC set).
    static func answer(_ bytes: [UInt8], view: DNSView, forward: Forwarder, overTCP: Bool) async -> [UInt8]? {
        let query: DNSMessage
        do {
            query = try DNSMessage.decode(bytes)
        } catch {
            return formatError(bytes)
        }
        switch DNSAnswerer.decide(query, view: view) {
        case .reply(let m):
            return try? m.encode(limit: overTCP ? 65535 : query.udpPayloadSize)
        case .forward:
            let own = view.upstreams.compactMap { try? SocketAddress(ipAddress: $0.description, port: 53) }
            if let reply = await forward.resolve(bytes, overTCP: overTCP, via: own.isEmpty ? nil : own) { return reply }
            return try? DNSMessage.response(to: query, rcode: .serverFailure).encode(limit: 512)
        }
    }
}

/// Sends queries berth does not own to the upstream resolvers, from the host's namespace, with a
/// timeout per upstream (an unreachable one gives SERVFAIL quickly) and TCP when asked over TCP or
/// when a UDP answer comes back truncated.
struct Forwarder: Sendable {
    let upstreams: [SocketAddress]
    let group: MultiThreadedEventLoopGroup
    let timeout: TimeAmount
    let budget: ForwardBudget

    init(upstreams: [SocketAddress], group: MultiThreadedEventLoopGroup, timeout: TimeAmount, budget: ForwardBudget) {
        self.upstreams = upstreams
        self.group = group
        self.timeout = timeout
        self.budget = budget
    }

    /// nil when no upstream answered in time, or when too many forwards are already outstanding
    /// (the asker then gets SERVFAIL at once instead of piling more sockets onto a dead upstream).
    /// `via`: the asker's own resolvers instead of the daemon's.
    func resolve(_ query: [UInt8], overTCP: Bool, via: [SocketAddress]? = nil) async -> [UInt8]? {
        guard await budget.acquire() else { return nil }
        defer { Task { await budget.release() } }
        for upstream in via ?? upstreams {
            if !overTCP, let reply = await udp(query, to: upstream), matches(reply, query) {
                // TC set: the whole answer needs TCP; the UDP asker gets the truncated one and retries.
                return reply
            }
            if overTCP, let reply = await tcp(query, to: upstream), matches(reply, query) { return reply }
        }
        return nil
    }

    func matches(_ reply: [UInt8], _ query: [UInt8]) -> Bool {
        reply.count >= 12 && reply[0] == query[0] && reply[1] == query[1]
    }

    func udp(_ query: [UInt8], to upstream: SocketAddress) async -> [UInt8]? {
        do {
            let channel = try await DatagramBootstrap(group: group).connect(to: upstream) { ch in
                ch.eventLoop.makeCompletedFuture { try EmbeddedDNS.Datagrams(wrappingChannelSynchronously: ch) }
            }
            // The timeout closes the channel, which ends the wait below: no task is left waiting.
            let closer = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
            defer { closer.cancel() }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: query)))
                for try await reply in inbound { return Array(reply.data.readableBytesView) }
                return nil
            }
        } catch {
            return nil
        }
    }

    func tcp(_ query: [UInt8], to upstream: SocketAddress) async -> [UInt8]? {
        do {
            let channel = try await ClientBootstrap(group: group).connectTimeout(timeout).connect(to: upstream) { ch in
                ch.eventLoop.makeCompletedFuture { try EmbeddedDNS.Stream(wrappingChannelSynchronously: ch) }
            }
            let closer = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
            defer { closer.cancel() }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(bytes: [UInt8(query.count >> 8), UInt8(query.count & 0xff)] + query))
                var got: [UInt8] = []
                for try await chunk in inbound {
                    got += chunk.readableBytesView
                    if got.count >= 2, got.count >= 2 + (Int(got[0]) << 8 | Int(got[1])) {
                        return Array(got[2..<(2 + (Int(got[0]) << 8 | Int(got[1])))])
                    }
                }
                return nil
            }
        } catch {
            return nil
        }
    }
}

/// Caps the forwards in flight across all sandboxes.
actor ForwardBudget {
    let limit: Int
    var inFlight = 0

    init(limit: Int) { self.limit = limit }

    func acquire() -> Bool {
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    func release() { inFlight -= 1 }
}
