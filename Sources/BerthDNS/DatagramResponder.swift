import BerthDNSWire
import NIOCore

/// Answers the UDP queries of one sandbox on the event loop that read them.
///
/// The channel reads datagrams in batches (`recvmmsg`); each query whose view is cached and whose
/// answer is berth's own is answered at once, and the replies are written without a flush until the
/// batch ends (`channelReadComplete`), so NIO sends them together (`sendmmsg`). Only a query that
/// finds no cached view, or that goes upstream, leaves the loop: a task answers it and writes the
/// reply itself. No `await` and no task per query on the hot path.
final class DatagramResponder<Views: DNSViewSource>: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let views: Views
    let forward: Forwarder
    private var unflushed = false

    init(views: Views, forward: Forwarder) {
        self.views = views
        self.forward = forward
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let view = views.cached()
        let immediate = envelope.data.withUnsafeReadableBytes { EmbeddedDNS.answerAtOnce($0, view: view) }
        switch immediate {
        case .reply(let reply):
            let out = AddressedEnvelope(
                remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: reply))
            context.write(wrapOutboundOut(out), promise: nil)
            unflushed = true
        case .drop:
            return
        case .later:
            let channel = context.channel
            let views = self.views
            let forward = self.forward
            let query = Array(envelope.data.readableBytesView)
            let asker = envelope.remoteAddress
            // On the channel's own event loop, not the shared pool (see `EventLoopTaskExecutor`).
            Task(executorPreference: EventLoopTaskExecutor(channel.eventLoop)) {
                guard
                    let reply = await EmbeddedDNS.answer(
                        query, view: await views.current(), forward: forward, overTCP: false)
                else { return }
                channel.writeAndFlush(
                    AddressedEnvelope(remoteAddress: asker, data: ByteBuffer(bytes: reply)), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// A failed send or receive (an asker gone, ICMP unreachable reported on the socket) concerns one
    /// datagram; the resolver goes on serving the others.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
