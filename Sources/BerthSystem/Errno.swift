#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// A typed errno value that callers can match: `catch let e as SystemCallError where e.errno == .EEXIST`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current errno (through glibc's `__errno_location`, which Embedded Swift
    /// imports too; the `errno` variable is the Glibc module's).
    public static var current: Errno { Errno(rawValue: __errno_location().pointee) }

    public static let EPERM = Errno(rawValue: 1)
    public static let ENOENT = Errno(rawValue: 2)
    public static let ESRCH = Errno(rawValue: 3)
    public static let EINTR = Errno(rawValue: 4)
    public static let EIO = Errno(rawValue: 5)
    public static let EBADF = Errno(rawValue: 9)
    public static let ECHILD = Errno(rawValue: 10)
    public static let EAGAIN = Errno(rawValue: 11)
    public static let ENOMEM = Errno(rawValue: 12)
    public static let EACCES = Errno(rawValue: 13)
    public static let EFAULT = Errno(rawValue: 14)
    public static let EBUSY = Errno(rawValue: 16)
    public static let EEXIST = Errno(rawValue: 17)
    public static let ENODEV = Errno(rawValue: 19)
    public static let ENOTDIR = Errno(rawValue: 20)
    public static let EINVAL = Errno(rawValue: 22)
    public static let ENOSPC = Errno(rawValue: 28)
    public static let ERANGE = Errno(rawValue: 34)
    public static let ENOBUFS = Errno(rawValue: 105)
    public static let EOPNOTSUPP = Errno(rawValue: 95)
    public static let EADDRINUSE = Errno(rawValue: 98)
    public static let EADDRNOTAVAIL = Errno(rawValue: 99)
    public static let ENETUNREACH = Errno(rawValue: 101)
    public static let ECONNREFUSED = Errno(rawValue: 111)
    public static let ENOTCONN = Errno(rawValue: 107)
    public static let ETIMEDOUT = Errno(rawValue: 110)
    public static let EPROTONOSUPPORT = Errno(rawValue: 93)
    public static let EAFNOSUPPORT = Errno(rawValue: 97)
    public static let EPROTO = Errno(rawValue: 71)
    public static let EBADMSG = Errno(rawValue: 74)
    public static let ENOPROTOOPT = Errno(rawValue: 92)

    private static let names: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN",
        12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 20: "ENOTDIR",
        22: "EINVAL", 28: "ENOSPC", 34: "ERANGE", 71: "EPROTO", 74: "EBADMSG", 92: "ENOPROTOOPT", 93: "EPROTONOSUPPORT", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT",
        98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 105: "ENOBUFS", 107: "ENOTCONN",
        110: "ETIMEDOUT", 111: "ECONNREFUSED",
    ]

    /// The symbolic name (`EEXIST`), or `errno N` for values berth has no name for.
    public var name: String { Errno.names[rawValue] ?? "errno \(rawValue)" }

    /// The C library's text (`File exists`).
    public var message: String { String(cString: strerror(rawValue)) }

    public var description: String { "\(name): \(message)" }

    /// "Already gone" for deletes: ENOENT, ENODEV, ESRCH.
    public var meansAlreadyGone: Bool { self == .ENOENT || self == .ENODEV || self == .ESRCH }
}

/// A failed system call: which call (with its subject), and the errno it returned.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Errno

    public init(call: String, errno: Errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(errno.message) (\(errno.name))" }
}
