// Host-byte-order integer packing. Netlink headers and most attribute values are in the byte order of the
// machine (the kernel and its user share a CPU); addresses are raw network-order bytes and never pass here.

/// Rounds up to the 4-byte boundary every netlink message and attribute starts on (NLMSG_ALIGN, NLA_ALIGN).
@inlinable
public func netlinkAlign(_ length: Int) -> Int { (length + 3) & ~3 }

extension Array where Element == UInt8 {
    @usableFromInline
    mutating func appendHostOrder<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    /// Pads with zeros to the next 4-byte boundary.
    @usableFromInline
    mutating func padToAlignment() {
        let target = netlinkAlign(count)
        if target > count { append(contentsOf: repeatElement(0, count: target - count)) }
    }

    /// Overwrites `T.bitWidth / 8` bytes at `offset` (for length fields known only after the body is written).
    mutating func storeHostOrder<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value) { raw in
            for (i, byte) in raw.enumerated() { self[offset + i] = byte }
        }
    }
}

/// A bounds-checked cursor over received bytes. Every read checks the remaining length first and throws
/// `NetlinkWireError` naming `context` when the data is too short.
struct WireReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.context = context
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(NetlinkWireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw NetlinkWireError(
                "\(context): needs \(size) more bytes at offset \(position - bytes.startIndex), has \(remaining)")
        }
        let value = bytes[position..<(position + size)].withUnsafeBytes { $0.loadUnaligned(as: T.self) }
        position += size
        return value
    }

    mutating func readBytes(_ count: Int) throws(NetlinkWireError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw NetlinkWireError(
                "\(context): needs \(count) bytes at offset \(position - bytes.startIndex), has \(remaining)")
        }
        let slice = bytes[position..<(position + count)]
        position += count
        return slice
    }

    /// Everything not yet read.
    mutating func rest() -> ArraySlice<UInt8> {
        let slice = bytes[position...]
        position = bytes.endIndex
        return slice
    }
}

/// Reads a fixed-width integer from exactly `T.bitWidth / 8` bytes, or throws naming `context`.
func decodeInteger<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as _: T.Type = T.self, context: String)
    throws(NetlinkWireError) -> T
{
    let size = MemoryLayout<T>.size
    guard bytes.count == size else {
        throw NetlinkWireError("\(context): expected \(size) bytes, got \(bytes.count)")
    }
    return bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
}

/// A C string attribute: bytes up to the first NUL (the kernel NUL-terminates, but NLA_STRING allows omitting it).
func decodeCString(_ bytes: ArraySlice<UInt8>) -> String {
    let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
    return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
}
