/// The one error type a user of berth sees: a code that decides the HTTP status and exit code,
/// one clear sentence naming the thing and what to do, and the lower-level cause that led to it.
public struct BerthError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; the API server maps it to an HTTP status.
    public enum Code: String, Sendable, Equatable, Codable {
        /// The input was malformed or invalid (HTTP 400).
        case invalidArgument
        /// The named object does not exist (HTTP 404).
        case notFound
        /// The request clashes with existing state: a name in use, an overlapping subnet,
        /// an object still in use (HTTP 409).
        case conflict
        /// The operation is not allowed on this object, e.g. removing a predefined network (HTTP 403).
        case forbidden
        /// A resource ran out: no free subnet, no free address (HTTP 409 in Docker; 503 is wrong here).
        case exhausted
        /// The kernel or a helper program refused; the cause says which call (HTTP 500).
        case system
        /// berth itself is broken: a bug (HTTP 500).
        case internalError
        /// The feature is not implemented (HTTP 501).
        case notImplemented
        /// Nothing to do (Docker's 304 for starting a running container).
        case notModified
    }

    public var code: Code
    public var message: String
    /// The lower-level error (a syscall, netlink or nft failure) rendered as text, if any.
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(describing: $0) }
    }

    public init(_ code: Code, _ message: String, causeText: String?) {
        self.code = code
        self.message = message
        self.cause = causeText
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }

    public static func invalid(_ message: String) -> BerthError { BerthError(.invalidArgument, message) }
    public static func notFound(_ message: String) -> BerthError { BerthError(.notFound, message) }
    public static func conflict(_ message: String) -> BerthError { BerthError(.conflict, message) }
}

extension BerthError.Code {
    /// The HTTP status the Docker Engine API uses for this kind of failure.
    public var httpStatus: Int {
        switch self {
        case .invalidArgument: 400
        case .notFound: 404
        case .conflict, .exhausted: 409
        case .forbidden: 403
        case .system, .internalError: 500
        case .notImplemented: 501
        case .notModified: 304
        }
    }
}
