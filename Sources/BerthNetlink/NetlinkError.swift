import BerthSystem

/// A netlink request that failed: which `ip`-style operation, the errno, and the kernel's own explanation
/// (extended ack) when it gave one. Match on the errno:
/// `catch let e as NetlinkError where e.errno == .EEXIST`.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    /// The operation in `ip` syntax (`ip link add br-1234 type bridge`), with the namespace when not the
    /// caller's own.
    public let operation: String
    /// Why: the kernel's errno, or berth's own verdict on a reply it could not accept (EBADMSG for malformed
    /// data, ETIMEDOUT for no reply, EINTR for a dump that never finished consistently).
    public let errno: Errno
    /// NLMSGERR_ATTR_MSG: the kernel's sentence (`Nexthop has invalid gateway`), if it sent one.
    public let kernelMessage: String?
    /// berth's explanation when the failure is not a plain kernel refusal (a malformed reply, a lost ACK).
    public let detail: String?

    /// An error.
    public init(operation: String, errno: Errno, kernelMessage: String? = nil, detail: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.kernelMessage = kernelMessage
        self.detail = detail
    }

    /// `ip link add br-1234 type bridge: File exists (EEXIST)`, followed by the kernel's message and
    /// berth's detail when present.
    public var description: String {
        var text = "\(operation): \(errno.message) (\(errno.name))"
        if let kernelMessage { text += ": \(kernelMessage)" }
        if let detail { text += " [\(detail)]" }
        return text
    }
}

extension Errno {
    /// EBADMSG: the kernel's reply could not be decoded.
    static let badMessage = Errno(rawValue: 74)
}
