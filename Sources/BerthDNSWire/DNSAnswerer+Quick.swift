import BerthAddressing

/// The resolver's hot path: a plain query for a name of the asker's view, answered straight from the
/// query's bytes, without building a `DNSMessage`, a `DNSName` or an encoder's compression table.
///
/// It covers only what containers ask all the time: one question, no answer or authority records,
/// at most one additional record that is an EDNS0 OPT (RFC 6891), a name of plain ASCII labels
/// (letters, digits, `-`, `_`) without compression, not a reverse lookup, and a reply that fits the
/// asker's UDP payload size. For everything else it returns nil and the caller takes the general path
/// (`DNSMessage.decode`, `decide`, `encode`), which it matches byte for byte where it answers (the
/// fuzz tests compare the two on mutated packets).
extension DNSAnswerer {
    public static func quickReply(to query: [UInt8], view: DNSView) -> [UInt8]? {
        query.withUnsafeBytes { quickReply(to: $0, view: view) }
    }

    /// See the extension's comment. `query` is only read during the call.
    public static func quickReply(to query: UnsafeRawBufferPointer, view: DNSView) -> [UInt8]? {
        let count = query.count
        guard count >= 12 + 5 else { return nil }
        let flags = UInt16(query[2]) << 8 | UInt16(query[3])
        // QR clear and opcode 0 (QUERY); QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
        guard flags & 0xF800 == 0, query[4] == 0, query[5] == 1, query[6] == 0, query[7] == 0, query[8] == 0,
            query[9] == 0, query[10] == 0, query[11] <= 1
        else { return nil }
        let hasAdditional = query[11] == 1

        // The question's name: uncompressed labels of safe ASCII, lower-cased into the lookup key.
        var position = 12
        var keyLength = 0
        while true {
            guard position < count else { return nil }
            let length = Int(query[position])
            if length == 0 { break }
            guard length <= DNSName.maxLabelLength, position + 1 + length <= count else { return nil }
            for i in (position + 1)...(position + length) where !isQuickByte(query[i]) { return nil }
            keyLength += (keyLength == 0 ? 0 : 1) + length
            position += 1 + length
            guard position - 12 + 1 <= DNSName.maxWireLength else { return nil }
        }
        let nameEnd = position + 1  // past the root label
        guard keyLength > 0, nameEnd + 4 <= count else { return nil }
        let type = UInt16(query[nameEnd]) << 8 | UInt16(query[nameEnd + 1])
        // Reverse lookups need the PTR logic of `decide`.
        if type == DNSType.ptr.rawValue { return nil }
        let questionEnd = nameEnd + 4

        // The one additional record must be an OPT with the root name; its class is the payload size.
        var limit = 512
        if hasAdditional {
            guard questionEnd + 11 <= count, query[questionEnd] == 0,
                UInt16(query[questionEnd + 1]) << 8 | UInt16(query[questionEnd + 2]) == DNSType.opt.rawValue
            else { return nil }
            let payload = Int(query[questionEnd + 3]) << 8 | Int(query[questionEnd + 4])
            let rdLength = Int(query[questionEnd + 9]) << 8 | Int(query[questionEnd + 10])
            guard questionEnd + 11 + rdLength <= count else { return nil }
            limit = max(512, payload)
        }

        let key = String(unsafeUninitializedCapacity: keyLength) { out in
            var at = 12
            var written = 0
            while query[at] != 0 {
                let length = Int(query[at])
                if written > 0 {
                    out[written] = UInt8(ascii: ".")
                    written += 1
                }
                for i in (at + 1)...(at + length) {
                    let b = query[i]
                    out[written] = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
                    written += 1
                }
                at += 1 + length
            }
            return written
        }
        // Not ours (or nothing to say): `decide` forwards it.
        guard let addresses = view.index[key], !addresses.isEmpty else { return nil }
        // The name is ours: A (or ANY) gets the addresses; other types an empty NOERROR.
        let answers = type == DNSType.a.rawValue || type == DNSType.any.rawValue ? addresses.count : 0
        let size = questionEnd + answers * 16 + (hasAdditional ? 11 : 0)
        // Too big for the asker: the general encoder drops records and sets TC.
        guard size <= limit, answers <= 0xFFFF else { return nil }

        var reply = [UInt8](repeating: 0, count: size)
        reply.withUnsafeMutableBytes { out in
            out[0] = query[0]
            out[1] = query[1]
            // QR, AA, the asker's RD, RA; opcode 0, TC clear, NOERROR (what `DNSMessage.response` sets).
            let replyFlags: UInt16 = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080
            out[2] = UInt8(replyFlags >> 8)
            out[3] = UInt8(replyFlags & 0xff)
            out[5] = 1
            out[6] = UInt8(answers >> 8)
            out[7] = UInt8(answers & 0xff)
            out[11] = hasAdditional ? 1 : 0
            // The question as asked (the asker's case kept).
            for i in 12..<questionEnd { out[i] = query[i] }
            var at = questionEnd
            let ttl = view.ttl
            for address in addresses.prefix(answers) {
                // Name: a compression pointer to the question's name at offset 12 (RFC 1035 §4.1.4);
                // type A, class IN, the view's TTL, 4 bytes of address.
                out[at] = 0xC0
                out[at + 1] = 12
                out[at + 3] = 1
                out[at + 5] = 1
                out[at + 6] = UInt8(ttl >> 24)
                out[at + 7] = UInt8(ttl >> 16 & 0xff)
                out[at + 8] = UInt8(ttl >> 8 & 0xff)
                out[at + 9] = UInt8(ttl & 0xff)
                out[at + 11] = 4
                let v = address.value
                out[at + 12] = UInt8(v >> 24)
                out[at + 13] = UInt8(v >> 16 & 0xff)
                out[at + 14] = UInt8(v >> 8 & 0xff)
                out[at + 15] = UInt8(v & 0xff)
                at += 16
            }
            if hasAdditional {
                // OPT: root name, type 41, our payload size 1232, no extended flags, no options.
                out[at + 2] = 41
                out[at + 3] = UInt8(1232 >> 8)
                out[at + 4] = UInt8(1232 & 0xff)
            }
        }
        return reply
    }

    /// The lookup key of `name` for `quickReply`: its lower-cased labels joined by dots, or nil when a
    /// label is empty or holds anything but ASCII letters, digits, `-` and `_` (such names are only
    /// answered on the general path, whose comparison they need).
    static func quickKey(_ name: DNSName) -> String? {
        let labels = name.canonical
        guard !labels.isEmpty else { return nil }
        for label in labels {
            guard !label.isEmpty, label.utf8.allSatisfy(isQuickByte) else { return nil }
        }
        return labels.joined(separator: ".")
    }

    static func isQuickByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
