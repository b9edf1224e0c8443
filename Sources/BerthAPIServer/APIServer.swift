import BerthAPI
import BerthCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Docker Engine API over HTTP/1.1 on a unix socket. NIO stays inside this module: handlers get
/// `APIRequest`s and return `APIResponse`s.
public final class APIServer: Sendable {
    public let socketPath: String
    let router: Router
    let group: MultiThreadedEventLoopGroup
    let state = ServerState()

    /// Largest request body accepted (Docker's create bodies are a few KiB).
    public static let maxBodySize = 1 << 20
    /// Image archives (`/images/load`, `/images/create?fromSrc=-`) may be large.
    public static let maxArchiveSize = 1 << 30

    static func bodyLimit(_ uri: String) -> Int {
        uri.contains("/images/load") || uri.contains("/images/create") ? maxArchiveSize : maxBodySize
    }

    public init(socketPath: String, routes: [Route]) {
        self.socketPath = socketPath
        self.router = Router(routes: routes)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Binds the socket (replacing a stale file), makes it 0660, and serves in the background.
    public func start() async throws {
        let router = self.router
        let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, IOData>>, Never>
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                // docker's CLI half-closes a hijacked exec/attach connection when it sends no stdin;
                // the output must still flow back on the other half.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true) { child in
                    child.eventLoop.makeCompletedFuture {
                        try APIServer.configurePipeline(child)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, IOData>>(
                            wrappingChannelSynchronously: child)
                    }
                }
        } catch {
            throw BerthError(.system, "cannot listen on \(socketPath)", cause: error)
        }
        chmod(socketPath, 0o660)
        let task = Task<Void, Never> {
            _ = try? await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await APIServer.serve(connection, router: router) }
                    }
                }
            }
        }
        state.set(task: task, channel: channel.channel)
    }

    static let decoderName = "berth-http-decoder"
    static let pipeliningName = "berth-http-pipelining"

    /// What `configureHTTPServerPipeline` sets up, with names, and a decoder that forwards the bytes
    /// after an upgrade request instead of dropping them (they are a hijacked stream's stdin).
    static func configurePipeline(_ channel: any Channel) throws {
        let ops = channel.pipeline.syncOperations
        try ops.addHandler(HTTPResponseEncoder())
        try ops.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: decoderName)
        try ops.addHandler(HTTPServerPipelineHandler(), name: pipeliningName)
    }

    /// After a 101: the HTTP decoder and pipelining handler leave, and raw bytes reach the async
    /// channel as `.body` parts.
    static func switchToRaw(_ channel: any Channel) async throws {
        try await channel.eventLoop.submit {
            let ops = channel.pipeline.syncOperations
            let decoder = try ops.context(name: decoderName)
            try ops.addHandler(RawToHTTPBody(), position: .after(decoder.handler))
            ops.removeHandler(name: pipeliningName, promise: nil)
            ops.removeHandler(context: decoder, promise: nil)
        }.get()
    }

    /// Stops accepting, closes the socket and the event loop.
    public func stop() async throws {
        let (task, channel) = state.take()
        try? await channel?.close()
        task?.cancel()
        try await group.shutdownGracefully()
    }

    /// One connection: requests in order (keep-alive), each answered before the next is read.
    static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, IOData>>, router: Router
    ) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            var parts = inbound.makeAsyncIterator()
            while let part = try await parts.next() {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                    tooLarge = false
                case .body(var buffer):
                    if body.count + buffer.readableBytes > bodyLimit(head?.uri ?? "") {
                        tooLarge = true
                    } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                        body += bytes
                    }
                case .end:
                    guard let h = head else { continue }
                    var requestHeaders: [String: String] = [:]
                    for (k, v) in h.headers { requestHeaders[k.lowercased()] = v }
                    let response: APIResponse =
                        tooLarge
                        ? .error("request body is larger than \(bodyLimit(h.uri)) bytes", status: 413)
                        : await router.handle(method: h.method.rawValue, uri: h.uri, body: body, headers: requestHeaders)
                    var headers = HTTPHeaders()
                    if !response.contentType.isEmpty { headers.add(name: "Content-Type", value: response.contentType) }
                    if let stream = response.stream {
                        if response.upgrade {
                            // Switch before the 101 goes out: a client sends its stdin (and may
                            // half-close) as soon as it reads the 101, and bytes the HTTP decoder
                            // holds past the end of input would be dropped.
                            try await APIServer.switchToRaw(channel)
                            headers.add(name: "Connection", value: "Upgrade")
                            headers.add(name: "Upgrade", value: "tcp")
                        }
                        headers.add(name: "Api-Version", value: BerthVersion.apiVersion)
                        try await outbound.write(
                            .head(HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                        let sink: @Sendable ([UInt8]) async throws -> Void = { bytes in
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                        }
                        guard response.upgrade else {
                            try? await stream(StreamWriter(sink))
                            try await outbound.write(.end(nil))
                            await APIServer.flushThenClose(channel)
                            return
                        }
                        // Hijacked: from here on the client's bytes are raw stdin, not HTTP.
                        let (input, feed) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                try? await stream(StreamWriter(sink, input: input))
                                try? await outbound.write(.end(nil))
                                // The output is done (the container or exec ended): close, which also
                                // ends the read below.
                                await APIServer.flushThenClose(channel)
                            }
                            do {
                                while let more = try await parts.next() {
                                    if case .body(var buffer) = more, let bytes = buffer.readBytes(length: buffer.readableBytes) {
                                        feed.yield(bytes)
                                    }
                                }
                            } catch {}
                            feed.finish()
                            try await group.waitForAll()
                        }
                        return
                    }
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    headers.add(name: "Api-Version", value: BerthVersion.apiVersion)
                    headers.add(name: "Server", value: "berth/\(BerthVersion.version)")
                    headers.add(name: "Ostype", value: "linux")
                    for (k, v) in response.headers { headers.add(name: k, value: v) }
                    let keepAlive = h.isKeepAlive && !tooLarge
                    if !keepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(
                        .head(HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                    if !response.body.isEmpty {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    }
                    try await outbound.write(.end(nil))
                    if !keepAlive {
                        await APIServer.flushThenClose(channel)
                        return
                    }
                    head = nil
                }
            }
        }
    }
}

extension APIServer {
    /// Closes a connection once everything written to it has reached the socket. A plain close drops
    /// what NIO still holds beyond the socket's send buffer (about 200 KiB): `berth ps` of 460
    /// containers (350 KB, `Connection: close`) got a cut reply. Half-closing the output waits for the
    /// pending writes (the writes above went to the event loop before this does).
    static func flushThenClose(_ channel: any Channel) async {
        try? await channel.close(mode: .output).get()
        try? await channel.close().get()
    }
}

/// The running server's task and listening channel, set once by `start` and taken by `stop`.
final class ServerState: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var channel: (any Channel)?

    func set(task: Task<Void, Never>, channel: any Channel) {
        lock.withLock {
            self.task = task
            self.channel = channel
        }
    }

    func take() -> (Task<Void, Never>?, (any Channel)?) {
        lock.withLock {
            defer {
                task = nil
                channel = nil
            }
            return (task, channel)
        }
    }
}

/// Wraps a hijacked connection's raw bytes as HTTP body parts for the async channel above it.
final class RawToHTTPBody: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.body(unwrapInboundIn(data))))
    }
}
