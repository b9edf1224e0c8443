/// What berthd sends a container's monitor over the attach socket (`attach.sock` in the container's
/// directory): stdin bytes, end of stdin, and terminal size changes. Each message is a type byte and
/// a big-endian 32-bit length, then the payload.
public enum AttachMessage: Equatable, Sendable {
    case stdin([UInt8])
    /// The attached client's stdin ended (`StdinOnce`): the container's stdin is closed.
    case closeStdin
    case resize(rows: UInt16, cols: UInt16)

    /// Largest payload accepted; bigger stdin writes are split by `encode`.
    public static let maxPayload = 1 << 16

    public func encode() -> [UInt8] {
        switch self {
        case .stdin(let bytes):
            var out: [UInt8] = []
            var i = 0
            repeat {
                let part = bytes[i..<min(bytes.count, i + AttachMessage.maxPayload)]
                out += AttachMessage.header(UInt8(ascii: "d"), part.count) + part
                i += AttachMessage.maxPayload
            } while i < bytes.count
            return out
        case .closeStdin:
            return AttachMessage.header(UInt8(ascii: "c"), 0)
        case .resize(let rows, let cols):
            return AttachMessage.header(UInt8(ascii: "r"), 4)
                + [UInt8(rows >> 8), UInt8(rows & 0xff), UInt8(cols >> 8), UInt8(cols & 0xff)]
        }
    }

    static func header(_ type: UInt8, _ n: Int) -> [UInt8] {
        [type, UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
    }
}

/// Cuts a byte stream into `AttachMessage`s; a malformed stream (unknown type, oversize length)
/// is reported once so the monitor can drop that connection.
public struct AttachDecoder: Sendable {
    var buffer: [UInt8] = []
    public private(set) var malformed = false

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [AttachMessage] {
        guard !malformed else { return [] }
        buffer += bytes
        var out: [AttachMessage] = []
        while buffer.count >= 5 {
            let n = Int(buffer[1]) << 24 | Int(buffer[2]) << 16 | Int(buffer[3]) << 8 | Int(buffer[4])
            guard n <= AttachMessage.maxPayload else {
                malformed = true
                return out
            }
            guard buffer.count >= 5 + n else { break }
            let payload = Array(buffer[5..<(5 + n)])
            switch buffer[0] {
            case UInt8(ascii: "d"): out.append(.stdin(payload))
            case UInt8(ascii: "c"): out.append(.closeStdin)
            case UInt8(ascii: "r") where n == 4:
                out.append(
                    .resize(rows: UInt16(payload[0]) << 8 | UInt16(payload[1]), cols: UInt16(payload[2]) << 8 | UInt16(payload[3])))
            default:
                malformed = true
                return out
            }
            buffer.removeFirst(5 + n)
        }
        return out
    }
}
