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

    /// `upstreams`: resolvers to forward to (the host's resolv.conf or `--dns`); tests use a loopback stub.
    public init(upstreams: [(IPv4Address, UInt16)], timeout: TimeAmount = .seconds(2)) throws {
        group = MultiThreadedEventLoopGroup.singleton
        self.upstreams = try upstreams.map { try SocketAddress(ipAddress: $0.0.description, port: Int($0.1)) }
        self.timeout = timeout
    }

    /// A running resolver in one sandbox.
    public struct Listener: Sendable {
        public let sandbox: NetworkNamespace
        public let udpPort: UInt16
        let channel: any Channel
    }

    /// Starts answering inside `sandbox`. `view` is asked on every query, so answers follow
    /// connects, disconnects and removals at once.
    public func serve(sandbox: NetworkNamespace, view: @escaping @Sendable () async -> DNSView) async throws -> Listener {
        let (fd, port) = try await sandbox.run { () throws -> (Int32, UInt16) in
            let s = try Sockets.bindIPv4(.udp, address: DNSRedirect.embeddedResolver.value, port: 0, nonBlocking: true)
            return (s.fd, s.port)
        }
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: group).withBoundSocket(fd).get()
        } catch {
            Syscall.close(fd)
            throw BerthError(.system, "cannot serve DNS in \(sandbox.path)", cause: error)
        }
        let async = try await channel.eventLoop.submit {
            try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                wrappingChannelSynchronously: channel)
        }.get()
        let upstreams = self.upstreams
        let group = self.group
        let timeout = self.timeout
        Task {
            try? await async.executeThenClose { inbound, outbound in
                try await withThrowingDiscardingTaskGroup { tasks in
                    for try await envelope in inbound {
                        tasks.addTask {
                            guard let reply = await EmbeddedDNS.answer(
                                envelope.data, view: await view(), upstreams: upstreams, group: group, timeout: timeout)
                            else { return }
                            try? await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: reply))
                        }
                    }
                }
            }
        }
        do {
            try NftablesDriver(namespace: sandbox).apply(
                script: DNSRedirect(udpPort: port, tcpPort: port).script, table: "berth-dns")
        } catch {
            try? await channel.close()
            throw error
        }
        return Listener(sandbox: sandbox, udpPort: port, channel: channel)
    }

    /// Stops answering in a sandbox and removes its redirect (already gone is fine).
    public func stop(_ listener: Listener) async {
        try? await listener.channel.close()
        try? NftablesDriver(namespace: listener.sandbox).remove(table: "berth-dns")
    }

    /// One query in, at most one reply out: malformed packets get FORMERR when their header can be
    /// read and are dropped otherwise.
    static func answer(
        _ packet: ByteBuffer, view: DNSView, upstreams: [SocketAddress], group: any EventLoopGroup, timeout: TimeAmount
    ) async -> ByteBuffer? {
        let bytes = Array(packet.readableBytesView)
        let query: DNSMessage
        do {
            query = try DNSMessage.decode(bytes)
        } catch {
            guard bytes.count >= 12 else { return nil }
            var formErr = Array(bytes[0..<12])
            formErr[2] = 0x80 | (formErr[2] & 0x79)  // QR, keep opcode and RD
            formErr[3] = DNSRCode.formatError.rawValue
            for i in 4..<12 { formErr[i] = 0 }
            return ByteBuffer(bytes: formErr)
        }
        switch DNSAnswerer.decide(query, view: view) {
        case .reply(let m):
            return (try? m.encode(limit: query.udpPayloadSize)).map { ByteBuffer(bytes: $0) }
        case .forward:
            for upstream in upstreams {
                if let reply = await forward(bytes, to: upstream, group: group, timeout: timeout),
                    reply.count >= 2, reply[0] == bytes[0], reply[1] == bytes[1]
                {
                    return ByteBuffer(bytes: reply)
                }
            }
            let fail = DNSMessage.response(to: query, rcode: .serverFailure)
            return (try? fail.encode(limit: 512)).map { ByteBuffer(bytes: $0) }
        }
    }

    /// Sends `query` to one upstream from the host's namespace and waits for the first reply.
    static func forward(_ query: [UInt8], to upstream: SocketAddress, group: any EventLoopGroup, timeout: TimeAmount)
        async -> [UInt8]?
    {
        do {
            let channel = try await DatagramBootstrap(group: group).connect(to: upstream) { ch in
                ch.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: ch)
                }
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
}
