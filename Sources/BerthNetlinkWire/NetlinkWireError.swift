/// A netlink buffer that cannot be decoded (or a value that cannot be encoded): truncated input, a length
/// field that points outside its buffer, an attribute of the wrong size. The decoder throws this instead of
/// trusting any length it reads, so garbage from a socket never crashes berth.
public struct NetlinkWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the structure being decoded (`IFLA_MTU: expected 4 bytes, got 2`).
    public let reason: String

    /// Makes an error with the given explanation.
    public init(_ reason: String) { self.reason = reason }

    /// `malformed netlink data: <reason>`.
    public var description: String { "malformed netlink data: \(reason)" }
}
