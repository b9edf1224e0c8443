/// Writes one flat JSON object key by key, without Foundation: the monitor's `state.json` and the
/// json-file log lines (berth-monitor links no Foundation, see README "Memory"). Keys are written in
/// the order they are added; callers add them sorted, as `JSONEncoder`'s `.sortedKeys` did. Strings
/// are escaped the way `JSONEncoder` with `.withoutEscapingSlashes` does (`\"`, `\\`, `\b \f \n \r \t`,
/// other control characters as `\u00xx`), so log lines read the same as Docker's and as before.
public struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    public init() {}

    public mutating func add(_ key: String, _ value: String) {
        addKey(key)
        JSONObjectWriter.appendQuoted(value, to: &bytes)
    }

    public mutating func add(_ key: String, _ value: Int) {
        addKey(key)
        bytes += Array(String(value).utf8)
    }

    public mutating func add(_ key: String, _ value: Bool) {
        addKey(key)
        bytes += Array((value ? "true" : "false").utf8)
    }

    /// The object's text: `{…}`, without a newline.
    public var text: [UInt8] { bytes + [UInt8(ascii: "}")] }

    private mutating func addKey(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        JSONObjectWriter.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `s` as a JSON string literal.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0c: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0a: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0d: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
