import BerthCore

/// A Linux network interface name: 1–15 bytes (IFNAMSIZ − 1), no `/`, `:` or whitespace, not `.` or `..`.
public struct InterfaceName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let value: String

    public static let maxLength = 15

    public init(validating name: String) throws(BerthError) {
        guard !name.isEmpty else { throw .invalid("interface name must not be empty") }
        guard name.utf8.count <= InterfaceName.maxLength else {
            throw .invalid("interface name \"\(name)\" is \(name.utf8.count) bytes; Linux allows at most 15")
        }
        guard name != ".", name != "..",
            !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace || $0 == "\0" })
        else { throw .invalid("interface name \"\(name)\" contains a character Linux does not allow") }
        value = name
    }

    /// For literals in code (`"lo"`); invalid literals are programmer errors.
    public init(stringLiteral name: String) {
        do { try self.init(validating: name) } catch { preconditionFailure("invalid interface name literal \(name)") }
    }

    public var description: String { value }
}
