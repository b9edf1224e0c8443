import BerthCore

/// `-p [ip:][hostPort:]containerPort[/tcp|udp]` with ranges (`8000-8010:80-90`, `8000-8010:80`),
/// turned into Docker's `PortBindings` entries ("80/tcp" → HostIp, HostPort).
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
        var out: [Entry] = []
        for (i, port) in containerRange.enumerated() {
            var hostPort = ""
            if let h = hostRange {
                if containerRange.count == 1 && h.count > 1 {
                    hostPort = "\(h.lowerBound)-\(h.upperBound)"
                } else {
                    hostPort = String(h.lowerBound + i)
                }
            }
            out.append(Entry(key: "\(port)/\(proto)", binding: PortBindingJSON(HostIp: ip, HostPort: hostPort)))
        }
        return out
    }

    static func range(_ s: String, what: String, _ bad: (String) -> BerthError) throws(BerthError) -> ClosedRange<Int> {
        let ends = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let lo = Int(ends[0]), let hi = Int(ends.last!), (1...65535).contains(lo),
            (1...65535).contains(hi), lo <= hi
        else { throw bad("\(what) \"\(s)\" must be a number or range within 1-65535") }
        return lo...hi
    }

    /// `--expose 80`, `--expose 8000-8010/udp` → "80/tcp" keys.
    public static func exposed(_ text: String) throws(BerthError) -> [String] {
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = spec[spec.index(after: slash)...].lowercased()
            spec = spec[..<slash]
        }
        guard proto == "tcp" || proto == "udp" else { throw .invalid("invalid --expose \"\(text)\": the protocol must be tcp or udp") }
        let r = try range(String(spec), what: "port") { why in .invalid("invalid --expose \"\(text)\": \(why)") }
        return r.map { "\($0)/\(proto)" }
    }
}
