// Golden bytes are written as annotated hex: two hex digits per byte, anything after `//` on a line is a
// comment. Multi-byte integers are little-endian because netlink uses host byte order and berth runs on
// x86-64 and arm64 (both little-endian); addresses are network order.

/// Parses annotated hex into bytes; stray characters are a test bug, so they trap.
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let digits = code.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits in line: \(line)")
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else { preconditionFailure("bad hex in: \(line)") }
            out.append(byte)
            index = next
        }
    }
    return out
}

/// Bytes as spaced hex, 16 per line, for readable failure messages.
func dump(_ bytes: [UInt8]) -> String {
    stride(from: 0, to: bytes.count, by: 16).map { start in
        bytes[start..<min(start + 16, bytes.count)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
            .joined(separator: " ")
    }.joined(separator: "\n")
}

/// A small deterministic generator (SplitMix64), so a failing fuzz case can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
