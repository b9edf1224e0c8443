import BerthCore

/// berthd's settings, from flags, then environment, then defaults (all overridable so tests never
/// touch a real installation: DESIGN.md "Paths").
public struct DaemonOptions: Sendable {
    public var root = "/var/lib/berth"
    public var run = "/run/berth"
    public var configFile = "/etc/berth/daemon.json"
    /// Linux bridge of the default network.
    public var defaultBridge = "berth0"
    /// nftables table berth owns.
    public var firewallTable = "berth"
    /// OCI runtime to use ("crun", "runc"); nil = probe (crun where it can run, else runc).
    public var runtime: String?
    /// Where containers' network namespaces also appear by name, for `ip netns` ("" = nowhere).
    public var namedNetnsDirectory = "/run/netns"
    /// Debian's static busybox, from which the built-in busybox:latest image is made.
    public var busybox = "/bin/busybox"
    /// Remove everything berth made (networks, bridges, rules) and exit.
    public var cleanup = false

    public static let usage = """
        Usage: berthd [OPTIONS]

        berth's daemon: serves the Docker Engine API on $BERTH_RUN/berth.sock and owns every
        kernel object berth makes. The `berth` CLI starts it on demand.

        Options:
          --root DIR        state directory (env BERTH_ROOT, default /var/lib/berth)
          --run DIR         runtime directory: socket, netns pins, locks (env BERTH_RUN, default /run/berth)
          --config FILE     daemon config (env BERTH_CONFIG, default /etc/berth/daemon.json);
                            keys: bip, default-address-pools, mtu, dns (Docker's names)
          --bridge NAME     Linux bridge of the default network (env BERTH_BRIDGE, default berth0)
          --nft-table NAME  nftables table berth owns (env BERTH_NFT_TABLE, default berth)
          --runtime NAME    OCI runtime: crun or runc (env BERTH_RUNTIME; default: crun where it can
                            run containers on this host, else runc — `berth info` says which and why)
          --netns-dir DIR   where container network namespaces appear by name for `ip netns`
                            (env BERTH_NETNS_DIR, default /run/netns)
          --busybox PATH    static busybox for the built-in busybox:latest image (env BERTH_BUSYBOX,
                            default /bin/busybox from Debian's busybox-static)
          --cleanup         remove every network, bridge, veth and rule berth made, then exit
          -h, --help        show this help
        """

    /// Parses `arguments` (without the program name) over the environment `env`.
    public static func parse(_ arguments: [String], env: [String: String]) throws(BerthError) -> DaemonOptions {
        var o = DaemonOptions()
        if let v = env["BERTH_ROOT"], !v.isEmpty { o.root = v }
        if let v = env["BERTH_RUN"], !v.isEmpty { o.run = v }
        if let v = env["BERTH_CONFIG"], !v.isEmpty { o.configFile = v }
        if let v = env["BERTH_BRIDGE"], !v.isEmpty { o.defaultBridge = v }
        if let v = env["BERTH_NFT_TABLE"], !v.isEmpty { o.firewallTable = v }
        if let v = env["BERTH_RUNTIME"], !v.isEmpty { o.runtime = v }
        if let v = env["BERTH_NETNS_DIR"] { o.namedNetnsDirectory = v }
        if let v = env["BERTH_BUSYBOX"], !v.isEmpty { o.busybox = v }
        var i = 0
        func value(_ flag: String) throws(BerthError) -> String {
            i += 1
            guard i < arguments.count else { throw .invalid("\(flag) needs a value; see berthd --help") }
            return arguments[i]
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "--root": o.root = try value(a)
            case "--run": o.run = try value(a)
            case "--config": o.configFile = try value(a)
            case "--bridge": o.defaultBridge = try value(a)
            case "--nft-table": o.firewallTable = try value(a)
            case "--runtime": o.runtime = try value(a)
            case "--netns-dir": o.namedNetnsDirectory = try value(a)
            case "--busybox": o.busybox = try value(a)
            case "--cleanup": o.cleanup = true
            default: throw .invalid("unknown option \(a); see berthd --help")
            }
            i += 1
        }
        guard o.firewallTable.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !o.firewallTable.isEmpty
        else { throw .invalid("invalid nftables table name \"\(o.firewallTable)\": use letters, digits, - and _") }
        if let r = o.runtime, r != "crun" && r != "runc" {
            throw .invalid("unknown OCI runtime \"\(r)\": use crun or runc")
        }
        return o
    }
}
