/// Docker-style object identifiers: 64 lowercase hex digits, shown shortened to 12.
public enum Identifier {
    /// A fresh random 256-bit identifier as 64 hex digits.
    public static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<4 {
            let word = rng.next() as UInt64
            let hex = String(word, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return out
    }

    /// The 12-digit short form `docker ps` shows.
    public static func short(_ id: String) -> String { String(id.prefix(12)) }

    /// Whether `text` looks like a (possibly shortened) hex identifier.
    public static func isHexPrefix(_ text: String) -> Bool {
        // Bytes, not Characters: called once per published port when a firewall state is checked.
        let utf8 = text.utf8
        return !utf8.isEmpty && utf8.count <= 64
            && utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}

/// Names of user objects (networks, containers): Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
public enum ObjectName {
    public static func validate(_ name: String, kind: String) throws(BerthError) {
        guard let first = name.unicodeScalars.first else {
            throw .invalid("\(kind) name must not be empty")
        }
        func ok(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
        }
        guard ok(first), name.unicodeScalars.allSatisfy({ ok($0) || $0 == "_" || $0 == "." || $0 == "-" }) else {
            throw .invalid(
                "invalid \(kind) name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        guard name.utf8.count <= 128 else { throw .invalid("\(kind) name \"\(name.prefix(20))…\" is longer than 128 characters") }
    }
}
