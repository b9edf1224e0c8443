import BerthAPI
import BerthCore
import Foundation

/// One decoded API request, as the handlers see it (no NIO types).
public struct APIRequest: Sendable {
    public var method: String
    /// The path without its `/v1.NN` version prefix and query.
    public var path: String
    public var query: [String: String]
    /// Values of `{name}` placeholders of the matched route.
    public var parameters: [String: String] = [:]
    public var body: [UInt8]
    /// Request headers (lower-cased names).
    public var headers: [String: String] = [:]

    /// Whether the client asked to take over the connection (`Connection: Upgrade`, `Upgrade: tcp`).
    public var wantsUpgrade: Bool { headers["upgrade"] != nil }

    /// Decodes the JSON body, turning decoding failures into a 400 naming the field.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw BerthError.invalid("request body is empty: expected JSON") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw BerthError.invalid("invalid JSON in request body: missing field \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(t, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw BerthError.invalid("invalid JSON in request body: field \"\(field)\" must be \(Self.jsonName(t))")
        } catch let DecodingError.valueNotFound(t, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw BerthError.invalid("invalid JSON in request body: field \"\(field)\" must be \(Self.jsonName(t)), not null")
        } catch let DecodingError.dataCorrupted(ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            let detail = (ctx.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String ?? ctx.debugDescription
            throw BerthError.invalid("invalid JSON in request body\(field.isEmpty ? "" : " at \"\(field)\""): \(detail)")
        } catch {
            throw BerthError.invalid("invalid JSON in request body: \(error)")
        }
    }

    static func jsonName(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is UInt16.Type: "a number"
        default: "of another type (\(t))"
        }
    }

    /// A boolean query parameter (`1`, `true`).
    public func flag(_ name: String) -> Bool {
        guard let v = query[name] else { return false }
        return v == "1" || v.lowercased() == "true"
    }
}

/// Writes the body of a streamed response as it is produced.
public struct StreamWriter: Sendable {
    let sink: @Sendable ([UInt8]) async throws -> Void
    /// On a hijacked (101) connection, what the client sends after the request: an attached stdin.
    /// It finishes when the client half-closes or goes away; it is empty for ordinary responses.
    public let input: AsyncStream<[UInt8]>

    public init(_ sink: @escaping @Sendable ([UInt8]) async throws -> Void, input: AsyncStream<[UInt8]>? = nil) {
        self.sink = sink
        self.input = input ?? AsyncStream { $0.finish() }
    }

    public func write(_ bytes: [UInt8]) async throws {
        if !bytes.isEmpty { try await sink(bytes) }
    }
}

/// What a handler returns.
public struct APIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// A body produced while it is sent (logs, exec output). The connection closes after it.
    public var stream: (@Sendable (StreamWriter) async throws -> Void)?
    /// Answer `101 UPGRADED` and hand over the raw connection (Docker's hijacked attach/exec streams).
    public var upgrade = false

    /// A streamed body: chunked HTTP, or a hijacked raw connection when the client asked to upgrade.
    public static func streaming(
        contentType: String, upgrade: Bool, _ body: @escaping @Sendable (StreamWriter) async throws -> Void
    ) -> APIResponse {
        var r = APIResponse(status: upgrade ? 101 : 200, contentType: contentType, body: [])
        r.stream = body
        r.upgrade = upgrade
        return r
    }

    public init(status: Int = 200, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// JSON of an encodable value.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var body = Array(try encoder.encode(value))
        body.append(UInt8(ascii: "\n"))
        return APIResponse(status: status, body: body)
    }

    public static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    public static func empty(_ status: Int = 204) -> APIResponse { APIResponse(status: status, contentType: "", body: []) }

    /// Docker's error body for a status.
    public static func error(_ message: String, status: Int) -> APIResponse {
        (try? json(ErrorResponse(message: message), status: status)) ?? text(message, status: status)
    }
}

/// A method + path pattern (`/networks/{id}`) and its handler.
public struct Route: Sendable {
    public var method: String
    public var segments: [String]
    public var handler: @Sendable (APIRequest) async throws -> APIResponse

    public init(_ method: String, _ pattern: String, _ handler: @escaping @Sendable (APIRequest) async throws -> APIResponse) {
        self.method = method
        self.segments = pattern.split(separator: "/").map(String.init)
        self.handler = handler
    }

    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var params: [String: String] = [:]
        for (s, p) in zip(segments, path) {
            if s.hasPrefix("{") && s.hasSuffix("}") {
                params[String(s.dropFirst().dropLast())] = p
            } else if s != p {
                return nil
            }
        }
        return params
    }
}

/// The route table and the one place that maps errors to HTTP statuses.
public struct Router: Sendable {
    public var routes: [Route]

    public init(routes: [Route]) { self.routes = routes }

    /// Splits `/v1.43/networks/x?filters=…` into a request and runs the matching handler.
    public func handle(method: String, uri: String, body: [UInt8], headers: [String: String] = [:]) async -> APIResponse {
        let (path, query) = Router.split(uri)
        var parts = path.split(separator: "/").map { Router.percentDecode(String($0)) }
        if let first = parts.first, first.hasPrefix("v"), Double(first.dropFirst()) != nil { parts.removeFirst() }
        let lookupMethod = method == "HEAD" ? "GET" : method
        var methodMismatch = false
        for route in routes {
            guard let params = route.match(parts) else { continue }
            guard route.method == lookupMethod else {
                methodMismatch = true
                continue
            }
            let request = APIRequest(
                method: method, path: "/" + parts.joined(separator: "/"), query: query, parameters: params, body: body,
                headers: headers)
            do {
                var response = try await route.handler(request)
                if method == "HEAD" { response.body = [] }
                return response
            } catch let e as BerthError {
                return .error(e.message, status: e.code.httpStatus)
            } catch {
                return .error("internal error: \(error)", status: 500)
            }
        }
        if methodMismatch { return .error("method \(method) not allowed on \(path)", status: 405) }
        return .error("page not found", status: 404)
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]), plusIsSpace: true)
            let value = kv.count > 1 ? percentDecode(String(kv[1]), plusIsSpace: true) : ""
            // A repeated parameter keeps every value, NUL-separated (see `APIRequest.queryAll`).
            query[key] = query[key].map { $0 + "\u{0}" + value } ?? value
        }
        return (String(uri[..<q]), query)
    }

    static func percentDecode(_ s: String, plusIsSpace: Bool = false) -> String {
        (plusIsSpace ? s.replacingOccurrences(of: "+", with: " ") : s).removingPercentEncoding ?? s
    }
}
