import BerthAddressing
import BerthCore

/// Names a link in requests: by interface index or by name. Literals work for both
/// (`try nl.setUp("br0")`, `try nl.setUp(3)`); variables use `.name(n)` / `.index(i)`.
public enum LinkID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral
{
    /// The interface index (`ifindex`, the `N:` in `ip link`).
    case index(Int)
    /// The interface name.
    case name(String)

    /// A name literal.
    public init(stringLiteral value: String) { self = .name(value) }
    /// An index literal.
    public init(integerLiteral value: Int) { self = .index(value) }

    /// The name, or `ifindex N`.
    public var description: String {
        switch self {
        case .index(let i): "ifindex \(i)"
        case .name(let n): n
        }
    }

    /// Checks the value before any request is sent: a name must be a valid Linux interface name (1–15 bytes,
    /// no `/`, `:` or whitespace), an index must be positive and fit the kernel's 32-bit field.
    func validated() throws(BerthError) -> LinkID {
        switch self {
        case .index(let i):
            guard i > 0, i <= Int(Int32.max) else { throw .invalid("interface index \(i) is out of range") }
        case .name(let n):
            _ = try InterfaceName(validating: n)
        }
        return self
    }
}
