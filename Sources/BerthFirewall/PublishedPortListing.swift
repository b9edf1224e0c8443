import BerthCore
import BerthSystem

/// One element of berth's DNAT maps (`pub-tcp`, `pub-tcp-addr`, `pub-udp`…) as the kernel holds it.
public struct ListedPublishedPort: Sendable, Equatable {
    public var proto: String
    /// nil = every host address (the `pub-<proto>` map); else the `pub-<proto>-addr` map's key address.
    public var hostIP: String?
    public var hostPort: Int
    public var containerIP: String
    public var containerPort: Int
    /// The element's comment: `<table>:ep:<12 hex of the endpoint id>`.
    public var comment: String?

    public init(
        proto: String, hostIP: String?, hostPort: Int, containerIP: String, containerPort: Int, comment: String?
    ) {
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
        self.comment = comment
    }
}

/// Reads the published ports back from the kernel (for `berth topology`), not from berth's records.
public protocol PublishedPortListing: Sendable {
    func publishedPorts(table: String) throws -> [ListedPublishedPort]
}

extension NftablesDriver: PublishedPortListing {
    /// `nft -j list table ip <table>`, keeping the elements of the `pub-*` maps. No table = no ports.
    public func publishedPorts(table: String) throws -> [ListedPublishedPort] {
        let argv = [nft, "-j", "list", "table", "ip", table]
        let environment = ["LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        let r: SubprocessResult
        do {
            r =
                try namespace.map { ns in try ns.run { try Subprocess.run(argv, environment: environment) } }
                ?? Subprocess.run(argv, environment: environment)
        } catch {
            throw BerthError(.system, "could not run \(nft) (is nftables installed?)", cause: error)
        }
        guard r.status == 0 else {
            if r.stderr.contains("No such file or directory") { return [] }
            throw BerthError(.system, "could not list the nftables table ip \(table)", causeText: r.stderr)
        }
        do {
            return try Self.publishedPorts(json: r.stdout)
        } catch {
            throw BerthError(.internalError, "could not read nft's JSON listing of table ip \(table)", cause: error)
        }
    }

    /// The elements of every `pub-<proto>[-addr]` map in an `nft -j` listing. An element is
    /// `[key, {"concat": [containerIP, containerPort]}]`; a key with a comment is wrapped as
    /// `{"elem": {"val": key, "comment": …}}`; an `-addr` key is `{"concat": [hostIP, hostPort]}`.
    static func publishedPorts(json: String) throws -> [ListedPublishedPort] {
        let root = try JSONValue.parse(json)
        var out: [ListedPublishedPort] = []
        for item in root["nftables"]?.array ?? [] {
            guard let map = item["map"], let name = map["name"]?.string, name.hasPrefix("pub-") else { continue }
            let parts = name.dropFirst(4).split(separator: "-")
            guard let proto = parts.first.map(String.init) else { continue }
            let byAddress = parts.count > 1 && parts[1] == "addr"
            for element in map["elem"]?.array ?? [] {
                guard let pair = element.array, pair.count == 2 else { continue }
                var key = pair[0]
                var comment: String?
                if let wrapped = key["elem"] {
                    comment = wrapped["comment"]?.string
                    key = wrapped["val"] ?? .null
                }
                guard let target = pair[1]["concat"]?.array, target.count == 2,
                    let containerIP = target[0].string, let containerPort = target[1].uint64
                else { continue }
                var hostIP: String?
                var hostPort: UInt64?
                if byAddress {
                    guard let k = key["concat"]?.array, k.count == 2 else { continue }
                    hostIP = k[0].string
                    hostPort = k[1].uint64
                } else {
                    hostPort = key.uint64
                }
                guard let hostPort else { continue }
                out.append(
                    ListedPublishedPort(
                        proto: proto, hostIP: hostIP, hostPort: Int(hostPort), containerIP: containerIP,
                        containerPort: Int(containerPort), comment: comment))
            }
        }
        return out
    }
}
