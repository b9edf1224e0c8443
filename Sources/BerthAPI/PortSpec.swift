import BerthCore

/// A key of the API's `ExposedPorts` and `PortBindings`: "80/tcp", "53/udp", "80" (tcp) — or, as a berth
/// extension, a range of container ports "8000-8999/tcp". berth's CLI sends `-p 9000-9999:8000-8999` as
/// one range key with the host range as its `HostPort`, so a thousand published ports are one entry
/// to encode and decode, not a thousand; Docker's clients send one key per port, which berthd takes too.
public struct PortKey: Hashable, Sendable {
    public var ports: ClosedRange<UInt16>
    public var proto: String

    public init(ports: ClosedRange<UInt16>, proto: String) {
        self.ports = ports
        self.proto = proto
    }

    public init(_ text: String) throws(BerthError) {
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = spec[spec.index(after: slash)...].lowercased()
            spec = spec[..<slash]
        }
        let ends = spec.split(separator: "-", omittingEmptySubsequences: false)
        guard proto == "tcp" || proto == "udp", (1...2).contains(ends.count), let lo = UInt16(ends[0]),
            let hi = UInt16(ends[ends.count - 1]), lo > 0, lo <= hi
        else {
            throw .invalid(
                "invalid port \"\(text)\": expected PORT, PORT/tcp or PORT/udp (or a range such as 8000-8010/tcp), with PORT from 1 to 65535")
        }
        self.init(ports: lo...hi, proto: proto)
    }

    /// "80/tcp", or "8000-8010/tcp" for a range.
    public var text: String {
        ports.count == 1 ? "\(ports.lowerBound)/\(proto)" : "\(ports.lowerBound)-\(ports.upperBound)/\(proto)"
    }

    /// One "80/tcp" key per port, as Docker shows them.
    public var singleKeys: [String] { ports.map { "\($0)/\(proto)" } }

    /// `ports` (any order, repeats allowed) folded into the fewest keys: runs of consecutive ports of one
    /// protocol, ordered by protocol then port.
    public static func runs(_ ports: [(port: UInt16, proto: String)]) -> [PortKey] {
        var out: [PortKey] = []
        for p in ports.sorted(by: { ($0.proto, $0.port) < ($1.proto, $1.port) }) {
            if let last = out.last, last.proto == p.proto, p.port <= last.ports.upperBound &+ 1, p.port >= last.ports.lowerBound {
                if p.port > last.ports.upperBound { out[out.count - 1].ports = last.ports.lowerBound...p.port }
            } else {
                out.append(PortKey(ports: p.port...p.port, proto: p.proto))
            }
        }
        return out
    }
}

/// `-p [ip:][hostPort:]containerPort[/tcp|udp]` with ranges (`8000-8010:80-90`, `8000-8010:80`),
/// turned into `PortBindings` entries: "80/tcp" → HostIp, HostPort; a container port range is one
/// range entry ("80-90/tcp" → HostPort "8000-8010", or "" for a free port each; see `PortKey`).
public enum PortSpec {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var binding: PortBindingJSON
    }

    public static func parse(_ text: String) throws(BerthError) -> [Entry] {
        func bad(_ why: String) -> BerthError { .invalid("invalid port specification \"\(text)\": \(why)") }
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = spec[spec.index(after: slash)...].lowercased()
            spec = spec[..<slash]
            guard proto == "tcp" || proto == "udp" else { throw bad("the protocol must be tcp or udp") }
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var ip = ""
        var host = ""
        let container: String
        switch parts.count {
        case 1: container = parts[0]
        case 2: (host, container) = (parts[0], parts[1])
        case 3: (ip, host, container) = (parts[0], parts[1], parts[2])
        default: throw bad("expected [ip:][hostPort:]containerPort[/protocol]")
        }
        if !ip.isEmpty {
            let octets = ip.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { throw bad("\"\(ip)\" is not an IPv4 address") }
        }
        let containerRange = try range(container, what: "container port", bad)
        let hostRange: ClosedRange<Int>? = host.isEmpty ? nil : try range(host, what: "host port", bad)
        if let h = hostRange, h.count != containerRange.count, containerRange.count != 1 {
            throw bad("the host and container port ranges must have the same length")
        }
        var hostPort = ""
        if let h = hostRange { hostPort = h.count == 1 ? String(h.lowerBound) : "\(h.lowerBound)-\(h.upperBound)" }
        let key = PortKey(ports: UInt16(containerRange.lowerBound)...UInt16(containerRange.upperBound), proto: proto)
        return [Entry(key: key.text, binding: PortBindingJSON(HostIp: ip, HostPort: hostPort))]
    }

    static func range(_ s: String, what: String, _ bad: (String) -> BerthError) throws(BerthError) -> ClosedRange<Int> {
        let ends = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let lo = Int(ends[0]), let hi = Int(ends.last!), (1...65535).contains(lo),
            (1...65535).contains(hi), lo <= hi
        else { throw bad("\(what) \"\(s)\" must be a number or range within 1-65535") }
        return lo...hi
    }

    /// `--expose 80`, `--expose 8000-8010/udp` → the key "80/tcp", "8000-8010/udp" (see `PortKey`).
    public static func exposed(_ text: String) throws(BerthError) -> [String] {
        do {
            return [try PortKey(text).text]
        } catch {
            throw .invalid(
                "invalid --expose \"\(text)\": expected PORT[/tcp|udp] or a range such as 8000-8010/udp, with ports from 1 to 65535")
        }
    }
}
