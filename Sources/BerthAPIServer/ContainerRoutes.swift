import BerthAPI
import BerthCore
import Foundation

/// Docker's `/containers`, `/exec` and `/images` paths.
enum ContainerRoutes {
    static func all(containers: any ContainerService, images: any ImageService) -> [Route] {
        [
            Route("POST", "/containers/create") { req in
                let body = try req.decode(ContainerCreateRequest.self)
                // The text is kept as sent when it is plain UTF-8 (JSON may also come as UTF-16/32).
                let r: ContainerCreateResponse
                if !req.body.contains(0), let json = String(validating: req.body, as: UTF8.self) {
                    r = try await containers.createContainer(body, json: json, name: req.query["name"])
                } else {
                    r = try await containers.createContainer(body, name: req.query["name"])
                }
                return try .json(r, status: 201)
            },
            Route("GET", "/containers/json") { req in
                let filters = try ContainerFilters.parse(json: req.query["filters"])
                return try .json(try await containers.listContainers(all: req.flag("all"), filters: filters))
            },
            Route("GET", "/containers/{id}/json") { req in
                try .json(try await containers.inspectContainer(req.id))
            },
            Route("POST", "/containers/{id}/start") { req in
                try await notModifiedIsFine { try await containers.startContainer(req.id) }
            },
            Route("POST", "/containers/{id}/stop") { req in
                try await notModifiedIsFine { try await containers.stopContainer(req.id, timeout: req.int("t")) }
            },
            Route("POST", "/containers/{id}/restart") { req in
                try await containers.restartContainer(req.id, timeout: req.int("t"))
                return .empty()
            },
            Route("POST", "/containers/{id}/kill") { req in
                try await containers.killContainer(req.id, signal: req.query["signal"].flatMap { $0.isEmpty ? nil : $0 })
                return .empty()
            },
            Route("POST", "/containers/{id}/wait") { req in
                // Docker answers the headers at once and the body when the container stops: clients
                // (docker run) start the container only after the headers arrived.
                try await containers.checkWaitable(req.id)
                let condition = req.query["condition"] ?? "not-running"
                return .streaming(contentType: "application/json", upgrade: false) { writer in
                    let result: ContainerWaitResponse
                    do {
                        result = try await containers.waitContainer(req.id, condition: condition)
                    } catch {
                        result = ContainerWaitResponse(StatusCode: -1, Error: WaitError(Message: "\(error)"))
                    }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    try await writer.write(Array(try encoder.encode(result)) + [10])
                }
            },
            Route("DELETE", "/containers/{id}") { req in
                try await containers.removeContainer(req.id, force: req.flag("force"))
                return .empty()
            },
            Route("GET", "/containers/{id}/logs") { req in
                let tail = req.query["tail"].flatMap { $0 == "all" ? nil : Int($0) }
                let options = LogOptions(
                    stdout: req.flag("stdout"), stderr: req.flag("stderr"), follow: req.flag("follow"),
                    timestamps: req.flag("timestamps"), tail: tail)
                guard options.stdout || options.stderr else {
                    throw BerthError.invalid("you must choose at least one stream (stdout=1 or stderr=1)")
                }
                let (tty, frames) = try await containers.containerLogs(req.id, options: options)
                return stream(frames, tty: tty, upgrade: false)
            },
            Route("POST", "/containers/{id}/attach") { req in
                // Output from now until the container ends (what `docker run` without -d shows), and
                // with stdin=1 on a hijacked connection, the client's stdin into the container.
                let options = LogOptions(
                    stdout: req.query["stdout"] == nil || req.flag("stdout"), stderr: req.query["stderr"] == nil || req.flag("stderr"),
                    follow: true, timestamps: false, tail: -1)
                let (tty, frames) = try await containers.containerLogs(req.id, options: options)
                let id = req.id
                let attachStdin = req.flag("stdin") && req.wantsUpgrade
                return stream(frames, tty: tty, upgrade: req.wantsUpgrade) { input in
                    if attachStdin { try await containers.attachInput(id, input: input) }
                }
            },
            Route("POST", "/containers/{id}/resize") { req in
                try await containers.resizeContainer(req.id, height: req.int("h") ?? 0, width: req.int("w") ?? 0)
                return .empty(200)
            },
            Route("GET", "/containers/{id}/top") { req in
                try .json(try await containers.topContainer(req.id, psArgs: req.query["ps_args"] ?? ""))
            },
            Route("POST", "/containers/{id}/exec") { req in
                let body = try req.decode(ExecCreateRequest.self)
                return try .json(try await containers.execCreate(req.id, body), status: 201)
            },
            Route("POST", "/exec/{id}/start") { req in
                let body = req.body.isEmpty ? ExecStartRequest() : try req.decode(ExecStartRequest.self)
                let inspect = try await containers.execInspect(req.id)
                // The exec's stdin is the hijacked connection's input when it was created with AttachStdin.
                let (input, feed) = AsyncStream<[UInt8]>.makeStream()
                let attachStdin = inspect.OpenStdin == true && req.wantsUpgrade && !body.detach
                if !attachStdin { feed.finish() }
                let (tty, frames) = try await containers.execStart(req.id, body, input: attachStdin ? input : nil)
                if body.detach {
                    Task { for try await _ in frames {} }
                    return .empty(200)
                }
                return stream(frames, tty: tty, upgrade: req.wantsUpgrade) { clientInput in
                    guard attachStdin else { return }
                    for await chunk in clientInput { feed.yield(chunk) }
                    feed.finish()
                }
            },
            Route("POST", "/exec/{id}/resize") { req in
                try await containers.resizeExec(req.id, height: req.int("h") ?? 0, width: req.int("w") ?? 0)
                return .empty(200)
            },
            Route("GET", "/exec/{id}/json") { req in try .json(try await containers.execInspect(req.id)) },
            Route("POST", "/networks/{id}/connect") { req in
                try await containers.connectNetwork(req.id, try req.decode(NetworkConnectRequest.self))
                return .empty(200)
            },
            Route("POST", "/networks/{id}/disconnect") { req in
                try await containers.disconnectNetwork(req.id, try req.decode(NetworkDisconnectRequest.self))
                return .empty(200)
            },
            Route("GET", "/berth/containers/{id}/dns") { req in try .json(try await containers.dnsReport(req.id)) },
            Route("GET", "/berth/containers/{id}/trace") { req in
                guard let tracer = containers as? any TraceService else { throw BerthError.notFound("this daemon cannot trace") }
                let port = try req.query["port"].flatMap { p -> UInt16? in
                    if p.isEmpty { return nil }
                    guard let n = UInt16(p), n > 0 else { throw BerthError.invalid("invalid port \"\(p)\": give a number from 1 to 65535") }
                    return n
                }
                return try .json(
                    try await tracer.trace(
                        req.id, port: port, proto: req.query["proto"] ?? "tcp", from: req.query["from"] ?? "host",
                        address: req.query["address"].flatMap { $0.isEmpty ? nil : $0 }))
            },
            Route("GET", "/images/json") { _ in try .json(try await images.listImages()) },
            Route("GET", "/images/{name}/json") { req in try .json(try await images.inspectImage(req.parameters["name"] ?? "")) },
            Route("DELETE", "/images/{name}") { req in
                try .json(try await images.removeImage(req.parameters["name"] ?? "", force: req.flag("force")))
            },
            Route("POST", "/images/load") { req in
                let loaded = try await images.loadImages(archive: req.body)
                let text = loaded.map { ref in
                    ref.hasPrefix("sha256:") ? "Loaded image ID: \(ref)\n" : "Loaded image: \(ref)\n"
                }.joined()
                return try .json(["stream": text])
            },
            Route("POST", "/images/create") { req in
                guard req.query["fromSrc"] == "-" else {
                    let image = req.query["fromImage"] ?? "?"
                    throw BerthError.notFound(
                        "pull access denied for \(image): berth does not pull from registries; use `berth load -i FILE` or `berth import FILE NAME`")
                }
                var reference = req.query["repo"].flatMap { $0.isEmpty ? nil : $0 }
                if let r = reference, let tag = req.query["tag"], !tag.isEmpty { reference = r + ":" + tag }
                let changes = req.queryAll("changes")
                let id = try await images.importImage(archive: req.body, reference: reference, changes: changes)
                return try .json(["status": id])
            },
        ]
    }

    /// Docker answers 304 (no body) when there is nothing to do.
    static func notModifiedIsFine(_ body: () async throws -> Void) async throws -> APIResponse {
        do {
            try await body()
            return .empty()
        } catch let e as BerthError where e.code == .notModified {
            return .empty(304)
        }
    }

    /// Output frames as Docker sends them: raw for a TTY, else stdcopy-multiplexed (8-byte headers).
    /// `input` consumes a hijacked connection's stdin beside the output; it is cancelled when the
    /// output ends.
    static func stream(
        _ frames: AsyncThrowingStream<OutputFrame, any Error>, tty: Bool, upgrade: Bool,
        input: (@Sendable (AsyncStream<[UInt8]>) async throws -> Void)? = nil
    ) -> APIResponse {
        let type = tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        return .streaming(contentType: type, upgrade: upgrade) { writer in
            let feeding = Task { try? await input?(writer.input) }
            defer { feeding.cancel() }
            for try await f in frames {
                try await writer.write(tty ? f.bytes : StdStream.frame(stream: f.stream, f.bytes))
            }
        }
    }
}

/// Docker's stdcopy framing: [stream, 0, 0, 0, big-endian UInt32 length] + payload.
public enum StdStream {
    public static func frame(stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload
    }
}

extension APIRequest {
    var id: String { parameters["id"] ?? "" }

    func int(_ name: String) -> Int? { query[name].flatMap { Int($0) } }

    /// Every value of a repeated query parameter (`changes=…&changes=…`).
    func queryAll(_ name: String) -> [String] {
        guard let v = query[name] else { return [] }
        return v.split(separator: "\u{0}").map(String.init)
    }
}
