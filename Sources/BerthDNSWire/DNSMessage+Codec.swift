import BerthAddressing

extension DNSMessage {
    // MARK: decoding

    /// Reads a message, trusting no length, count or pointer: every read is bounds-checked, compression
    /// pointers must point strictly backwards (so they cannot loop), names are capped at 255 bytes, and
    /// counts are checked against the bytes that remain. Garbage yields an error, never a crash or a hang.
    public static func decode(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        var r = Reader(bytes: bytes)
        let id = try r.u16("header id")
        let flags = try r.u16("header flags")
        let counts = [try r.u16("QDCOUNT"), try r.u16("ANCOUNT"), try r.u16("NSCOUNT"), try r.u16("ARCOUNT")]
        // Each question needs ≥ 5 bytes and each record ≥ 11: reject counts the packet cannot hold.
        let minimum = Int(counts[0]) * 5 + Int(counts[1]) * 11 + Int(counts[2]) * 11 + Int(counts[3]) * 11
        guard minimum <= bytes.count - 12 else { throw .truncated("counts promise more than the packet holds") }
        var m = DNSMessage(header: DNSHeader(id: id, flags: flags))
        for _ in 0..<counts[0] {
            m.questions.append(
                DNSQuestion(name: try r.name(), type: DNSType(rawValue: try r.u16("QTYPE")), dnsClass: try r.u16("QCLASS")))
        }
        for _ in 0..<counts[1] { m.answers.append(try r.record()) }
        for _ in 0..<counts[2] { m.authority.append(try r.record()) }
        for _ in 0..<counts[3] { m.additional.append(try r.record()) }
        return m
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u8(_ what: String) throws(DNSWireError) -> UInt8 {
            guard offset < bytes.count else { throw .truncated(what) }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16(_ what: String) throws(DNSWireError) -> UInt16 {
            UInt16(try u8(what)) << 8 | UInt16(try u8(what))
        }

        mutating func u32(_ what: String) throws(DNSWireError) -> UInt32 {
            UInt32(try u16(what)) << 16 | UInt32(try u16(what))
        }

        mutating func take(_ n: Int, _ what: String) throws(DNSWireError) -> [UInt8] {
            guard n >= 0, offset + n <= bytes.count else { throw .truncated(what) }
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }

        /// RFC 1035 §4.1.4 names with compression.
        mutating func name() throws(DNSWireError) -> DNSName {
            var labels: [String] = []
            var wire = 1
            var position = offset
            var jumped = false
            // Every pointer must go to an earlier offset than the one it was found at: no loops possible.
            var lowestPointerSource = bytes.count
            while true {
                guard position < bytes.count else { throw .truncated("name") }
                let len = bytes[position]
                switch len & 0xC0 {
                case 0x00:
                    if len == 0 {
                        if !jumped { offset = position + 1 }
                        return DNSName(uncheckedLabels: labels)
                    }
                    let start = position + 1
                    let end = start + Int(len)
                    guard end <= bytes.count else { throw .truncated("label") }
                    wire += 1 + Int(len)
                    guard wire <= DNSName.maxWireLength else { throw .invalidName("name is longer than 255 bytes") }
                    labels.append(String(decoding: bytes[start..<end], as: UTF8.self))
                    position = end
                case 0xC0:
                    guard position + 1 < bytes.count else { throw .truncated("compression pointer") }
                    let target = Int(len & 0x3F) << 8 | Int(bytes[position + 1])
                    guard target < position, target < lowestPointerSource else {
                        throw .badPointer("pointer at \(position) to \(target) does not point backwards")
                    }
                    lowestPointerSource = position
                    if !jumped { offset = position + 2 }
                    jumped = true
                    position = target
                default:
                    throw .invalidName("label type \(len >> 6) is not supported")
                }
            }
        }

        mutating func record() throws(DNSWireError) -> DNSRecord {
            let name = try name()
            let type = DNSType(rawValue: try u16("TYPE"))
            let cls = try u16("CLASS")
            let ttl = try u32("TTL")
            let length = Int(try u16("RDLENGTH"))
            guard offset + length <= bytes.count else { throw .truncated("RDATA of \(name)") }
            let end = offset + length
            let data: DNSRecordData
            switch type {
            case .a where length == 4:
                data = .a(IPv4Address(bytes: try take(4, "A")) ?? .any)
            case .aaaa where length == 16:
                data = .aaaa(IPv6Address(bytes: try take(16, "AAAA")) ?? IPv6Address(high: 0, low: 0))
            case .ptr, .cname:
                let target = try self.name()
                guard offset == end else { throw .truncated("RDATA length of \(name) does not match its name") }
                data = type == .ptr ? .ptr(target) : .cname(target)
            default:
                data = .raw(try take(length, "RDATA"))
            }
            offset = end
            return DNSRecord(name: name, type: type, dnsClass: cls, ttl: ttl, data: data)
        }
    }

    // MARK: encoding

    /// Writes the message with name compression. When it exceeds `limit` bytes (512, or the EDNS0
    /// payload size for UDP), whole records are dropped from the end and TC is set, so the client
    /// retries over TCP (RFC 2181 §9).
    public func encode(limit: Int = 65535) throws(DNSWireError) -> [UInt8] {
        var message = self
        var out = try message.encodeAll()
        if out.count <= limit { return out }
        message.header.truncated = true
        // Keep OPT (it tells the client our EDNS support); drop answers until it fits.
        message.authority = []
        message.additional = message.additional.filter { $0.type == .opt }
        while !message.answers.isEmpty {
            message.answers.removeLast()
            out = try message.encodeAll()
            if out.count <= limit { return out }
        }
        out = try message.encodeAll()
        guard out.count <= limit else { throw .tooLarge }
        return out
    }

    func encodeAll() throws(DNSWireError) -> [UInt8] {
        var w = Writer()
        w.u16(header.id)
        w.u16(header.flags)
        for c in [questions.count, answers.count, authority.count, additional.count] {
            guard c <= 0xFFFF else { throw .tooLarge }
            w.u16(UInt16(c))
        }
        for q in questions {
            w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.dnsClass)
        }
        for r in answers + authority + additional { try w.record(r) }
        guard w.bytes.count <= 65535 else { throw .tooLarge }
        return w.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []
        /// Canonical suffix → offset where it was written (only offsets < 0x4000 are pointable).
        var suffixes: [[String]: Int] = [:]

        mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(v & 0xff)] }
        mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xffff)) }

        mutating func name(_ n: DNSName) {
            let canonical = n.canonical
            for i in 0..<n.labels.count {
                let suffix = Array(canonical[i...])
                if let at = suffixes[suffix] {
                    u16(0xC000 | UInt16(at))
                    return
                }
                if bytes.count < 0x4000 { suffixes[suffix] = bytes.count }
                let label = Array(n.labels[i].utf8)
                bytes.append(UInt8(label.count))
                bytes += label
            }
            bytes.append(0)
        }

        mutating func record(_ r: DNSRecord) throws(DNSWireError) {
            name(r.name)
            u16(r.type.rawValue)
            u16(r.dnsClass)
            u32(r.ttl)
            let lengthAt = bytes.count
            u16(0)
            switch r.data {
            case .a(let a): bytes += a.bytes
            case .aaaa(let a): bytes += a.bytes
            case .ptr(let n), .cname(let n): name(n)
            case .raw(let b): bytes += b
            }
            let length = bytes.count - lengthAt - 2
            guard length <= 0xFFFF else { throw .tooLarge }
            bytes[lengthAt] = UInt8(length >> 8)
            bytes[lengthAt + 1] = UInt8(length & 0xff)
        }
    }
}
