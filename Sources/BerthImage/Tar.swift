import BerthCore

/// One member of a tar archive (ustar, GNU long names, PAX path/linkpath/size).
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file, hardlink, symlink, characterDevice, blockDevice, directory, fifo
    }

    public var name: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var linkName: String
    public var major: UInt32
    public var minor: UInt32
    /// Where the member's data is in the archive.
    public var data: Range<Int>
}

/// Reads tar archives held in memory, refusing malformed ones with a clear error (bad checksums,
/// truncated headers or data, sizes that are not numbers).
public struct TarReader {
    let bytes: [UInt8]
    let label: String

    public init(_ bytes: [UInt8], label: String) {
        self.bytes = bytes
        self.label = label
    }

    func bad(_ why: String) -> BerthError { .invalid("archive \(label) is not a valid tar file: \(why)") }

    /// Every member, in order (metadata entries — long names, PAX headers — are folded in).
    public func entries() throws -> [TarEntry] {
        var out: [TarEntry] = []
        var offset = 0
        var longName: String?
        var longLink: String?
        var pax: [String: String] = [:]
        while true {
            guard offset + 512 <= bytes.count else {
                if offset == bytes.count && !out.isEmpty { return out }
                throw BerthError.invalid("archive \(label) is truncated: a header is cut short at byte \(offset)")
            }
            let header = bytes[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { return out }
            guard let sum = TarReader.octal(header, 148, 8) else { throw bad("unreadable checksum at byte \(offset)") }
            var computed = 0
            for (i, b) in header.enumerated() { computed += (i >= 148 && i < 156) ? 32 : Int(b) }
            guard computed == Int(sum) else { throw bad("bad header checksum at byte \(offset)") }
            guard var size = TarReader.octal(header, 124, 12).map(Int.init) else { throw bad("unreadable size at byte \(offset)") }
            if let s = pax["size"], let n = Int(s) { size = n }
            let type = header[header.startIndex + 156]
            let dataStart = offset + 512
            guard dataStart + size <= bytes.count else {
                throw BerthError.invalid("archive \(label) is truncated: member data ends past the end of the file")
            }
            let data = bytes[dataStart..<(dataStart + size)]
            offset = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"):
                longName = TarReader.cString(data)
                continue
            case UInt8(ascii: "K"):
                longLink = TarReader.cString(data)
                continue
            case UInt8(ascii: "x"):
                pax = TarReader.paxRecords(data)
                continue
            case UInt8(ascii: "g"):
                continue
            default: break
            }
            var name = TarReader.string(header, 0, 100)
            let magic = TarReader.string(header, 257, 6)
            if magic.hasPrefix("ustar") {
                let prefix = TarReader.string(header, 345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            name = pax["path"] ?? longName ?? name
            let link = pax["linkpath"] ?? longLink ?? TarReader.string(header, 157, 100)
            longName = nil
            longLink = nil
            pax = [:]
            let kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = name.hasSuffix("/") ? .directory : .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default: continue  // other GNU extensions (sparse, volume labels) are skipped
            }
            out.append(
                TarEntry(
                    name: name, kind: kind, mode: UInt32(TarReader.octal(header, 100, 8) ?? 0o644) & 0o7777,
                    uid: UInt32(TarReader.octal(header, 108, 8) ?? 0), gid: UInt32(TarReader.octal(header, 116, 8) ?? 0),
                    linkName: link, major: UInt32(TarReader.octal(header, 329, 8) ?? 0),
                    minor: UInt32(TarReader.octal(header, 337, 8) ?? 0), data: dataStart..<(dataStart + size)))
        }
    }

    /// The data of a member.
    public func data(of entry: TarEntry) -> ArraySlice<UInt8> { bytes[entry.data] }

    static func string(_ h: ArraySlice<UInt8>, _ at: Int, _ len: Int) -> String {
        let field = h[(h.startIndex + at)..<(h.startIndex + at + len)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func cString(_ d: ArraySlice<UInt8>) -> String { String(decoding: d.prefix { $0 != 0 }, as: UTF8.self) }

    /// An octal number field (NUL/space padded), or GNU base-256 for large values.
    static func octal(_ h: ArraySlice<UInt8>, _ at: Int, _ len: Int) -> UInt64? {
        let field = h[(h.startIndex + at)..<(h.startIndex + at + len)]
        if let first = field.first, first & 0x80 != 0 {
            var v: UInt64 = UInt64(first & 0x7f)
            for b in field.dropFirst() { v = v << 8 | UInt64(b) }
            return v
        }
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        return UInt64(text, radix: 8)
    }

    /// PAX records: "<len> key=value\n".
    static func paxRecords(_ d: ArraySlice<UInt8>) -> [String: String] {
        var out: [String: String] = [:]
        let text = String(decoding: d, as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let kv = line[line.index(after: space)...]
            guard let eq = kv.firstIndex(of: "=") else { continue }
            out[String(kv[..<eq])] = String(kv[kv.index(after: eq)...])
        }
        return out
    }
}

/// Writes ustar archives (with GNU long names), for the built-in image and tests.
public struct TarWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func add(
        _ name: String, kind: TarEntry.Kind, mode: UInt32 = 0o644, data: [UInt8] = [], linkName: String = ""
    ) {
        if name.utf8.count > 99 {
            header(name: "././@LongLink", type: UInt8(ascii: "L"), mode: 0, size: name.utf8.count + 1, link: "")
            append(Array(name.utf8) + [0])
        }
        let type: UInt8 =
            switch kind {
            case .file: UInt8(ascii: "0")
            case .hardlink: UInt8(ascii: "1")
            case .symlink: UInt8(ascii: "2")
            case .characterDevice: UInt8(ascii: "3")
            case .blockDevice: UInt8(ascii: "4")
            case .directory: UInt8(ascii: "5")
            case .fifo: UInt8(ascii: "6")
            }
        header(name: String(name.utf8.prefix(99)) ?? name, type: type, mode: mode, size: kind == .file ? data.count : 0, link: linkName)
        if kind == .file { append(data) }
    }

    /// The archive with its end marker (two zero blocks).
    public func finished() -> [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    mutating func header(name: String, type: UInt8, mode: UInt32, size: Int, link: String) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ len: Int) {
            for (i, b) in s.utf8.prefix(len).enumerated() { h[at + i] = b }
        }
        func putOctal(_ v: Int, _ at: Int, _ len: Int) {
            let s = String(v, radix: 8)
            put(String(repeating: "0", count: max(0, len - 1 - s.count)) + s, at, len - 1)
        }
        put(name, 0, 100)
        putOctal(Int(mode), 100, 8)
        putOctal(0, 108, 8)
        putOctal(0, 116, 8)
        putOctal(size, 124, 12)
        putOctal(1_767_225_600, 136, 12)
        h[156] = type
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        putOctal(sum, 148, 7)
        h[155] = 32
        bytes += h
    }

    mutating func append(_ data: [UInt8]) {
        bytes += data
        let pad = (512 - data.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: pad)
    }
}
