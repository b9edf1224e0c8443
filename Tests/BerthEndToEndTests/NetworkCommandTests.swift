import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 3: `berth network …` against a real berthd (issue 2's acceptance, end to end).
@Suite("berth network end to end (privileged)", .serialized) struct NetworkCommandTests {
    func json(_ text: String) throws -> [[String: Any]] {
        let v = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(v as? [[String: Any]])
    }

    @Test func defaultNetworksAndCreateInspectRemove() throws {
        let d = try Daemon()
        defer { d.close() }
        try d.start()

        // B1: bridge, host, none with their drivers.
        let ls = try d.cli(["network", "ls"])
        #expect(ls.status == 0, "\(ls.stderr)")
        let rows = ls.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"])
        let byName = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[1], $0[2]) })
        #expect(byName == ["bridge": "bridge", "host": "host", "none": "null"])
        // The default bridge exists with no carrier while nothing is attached.
        let b0 = try d.host.sh("ip -o link show \(d.bridge)").stdout
        #expect(b0.contains("NO-CARRIER"))
        #expect(try d.host.sh("ip -o -4 addr show \(d.bridge)").stdout.contains("172.17.0.1/16"))

        // U1: a user network: bridge br-<12 hex>, next free /16.
        let created = try d.cli(["network", "create", "mynet"])
        #expect(created.status == 0, "\(created.stderr)")
        let id = created.stdout.trimmed
        #expect(id.count == 64)
        let link = try d.host.sh("ip -d -o link show br-\(id.prefix(12))").stdout
        #expect(link.contains("bridge"))
        #expect(try d.host.sh("ip -o -4 addr show br-\(id.prefix(12))").stdout.contains("172.18.0.1/16"))

        let inspect = try d.cli(["network", "inspect", "mynet"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let n = try #require(try json(inspect.stdout).first)
        #expect(n["Name"] as? String == "mynet")
        #expect(n["Id"] as? String == id)
        #expect(n["Driver"] as? String == "bridge")
        #expect(n["Scope"] as? String == "local")
        #expect(n["Internal"] as? Bool == false)
        #expect(n["EnableIPv6"] as? Bool == false)
        #expect(n["Attachable"] as? Bool == false)
        #expect(n["Created"] is String)
        #expect(n["Containers"] is [String: Any])
        #expect(n["Options"] is [String: Any])
        #expect(n["Labels"] is [String: Any])
        let ipam = try #require(n["IPAM"] as? [String: Any])
        let config = try #require((ipam["Config"] as? [[String: Any]])?.first)
        #expect(config["Subnet"] as? String == "172.18.0.0/16")
        #expect(config["Gateway"] as? String == "172.18.0.1")

        // --format and -q
        #expect(try d.cli(["network", "inspect", "-f", "{{.Name}} {{.Driver}}", "mynet"]).stdout.trimmed == "mynet bridge")
        #expect(try d.cli(["network", "ls", "-q", "--filter", "name=mynet"]).stdout.trimmed == String(id.prefix(12)))

        // The second network takes the next /16; rm by id prefix removes the bridge and its rules.
        let second = try d.cli(["network", "create", "--label", "team=a", "-o", "com.docker.network.driver.mtu=1280", "other"])
        #expect(second.status == 0, "\(second.stderr)")
        let otherId = second.stdout.trimmed
        #expect(try d.host.sh("ip -o link show br-\(otherId.prefix(12))").stdout.contains("mtu 1280"))
        #expect(try d.host.sh("ip -o -4 addr show br-\(otherId.prefix(12))").stdout.contains("172.19.0.1/16"))
        let rm = try d.cli(["network", "rm", "mynet", String(otherId.prefix(8))])
        #expect(rm.status == 0, "\(rm.stderr)")
        #expect(try d.host.sh("ip -o link show type bridge").stdout.contains("br-") == false)
        #expect(try d.host.sh("nft list table ip \(d.table)").stdout.contains("br-") == false)
    }

    @Test func badInputGetsClearErrorsAndChangesNothing() throws {
        let d = try Daemon()
        defer { d.close() }
        try d.start()
        #expect(try d.cli(["network", "create", "--subnet", "10.20.0.0/16", "lab"]).status == 0)
        let bridgesBefore = try d.host.sh("ip -o link show type bridge").stdout
        let rulesBefore = try d.host.sh("nft list table ip \(d.table)").stdout

        let overlap = try d.cli(["network", "create", "--subnet", "10.20.5.0/24", "clash"])
        #expect(overlap.status == 1)
        #expect(overlap.stderr.contains("overlaps"))
        #expect(overlap.stderr.contains("lab"))

        let gw = try d.cli(["network", "create", "--subnet", "10.30.0.0/16", "--gateway", "10.31.0.1", "offgw"])
        #expect(gw.status == 1)
        #expect(gw.stderr.contains("10.31.0.1"))

        let dup = try d.cli(["network", "create", "lab"])
        #expect(dup.status == 1)
        #expect(dup.stderr.contains("already exists"))

        let unknown = try d.cli(["network", "rm", "nosuchnet"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("nosuchnet"))
        #expect(unknown.stderr.contains("not found"))

        let predefined = try d.cli(["network", "rm", "bridge"])
        #expect(predefined.status == 1)
        #expect(predefined.stderr.contains("pre-defined"))

        let badSubnet = try d.cli(["network", "create", "--subnet", "10.40.0.1/16", "hostbits"])
        #expect(badSubnet.status != 0)
        #expect(badSubnet.stderr.contains("10.40.0.0/16"))

        // Malformed JSON straight at the API: 400 with a message, no crash.
        let raw = try d.rawHTTP("POST", "/networks/create", body: "{\"Name\": ")
        #expect(raw.status == 400)
        #expect(raw.body.contains("message"))
        let wrongType = try d.rawHTTP("POST", "/networks/create", body: "{\"Name\": 42}")
        #expect(wrongType.status == 400)
        let missing = try d.rawHTTP("GET", "/networks/nosuch", body: "")
        #expect(missing.status == 404)

        #expect(try d.host.sh("ip -o link show type bridge").stdout == bridgesBefore)
        #expect(try d.host.sh("nft list table ip \(d.table)").stdout == rulesBefore)
        #expect(try d.cli(["network", "ls", "-q"]).stdout.split(separator: "\n").count == 4)
        // The daemon is still alive after all that.
        #expect(try d.cli(["version"]).status == 0)
    }

    @Test func doctorReadsTheLiveKernel() throws {
        let d = try Daemon()
        defer { d.close() }
        try d.start()
        let healthy = try d.cli(["doctor"])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("ok    ip_forward"))
        #expect(healthy.stdout.contains("ok    nftables"))
        // Break things behind berth's back: forwarding off and a bridge deleted by hand.
        _ = try d.host.sh("sysctl -qw net.ipv4.ip_forward=0; ip link del \(d.bridge)")
        let broken = try d.cli(["doctor"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("FAIL  ip_forward"))
        #expect(broken.stdout.contains("FAIL  bridge \(d.bridge)"))
        #expect(broken.stdout.contains("fix: restart berthd"))
        let json = try d.cli(["doctor", "--format", "{{.Name}}={{.Status}}"])
        #expect(json.stdout.contains("ip_forward=failure"))
        // --fix repairs both without a restart.
        let fixed = try d.cli(["doctor", "--fix"])
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
        #expect(try d.host.sh("ip -o -4 addr show \(d.bridge)").stdout.contains("172.17.0.1/16"))
        #expect(try d.host.sh("sysctl -n net.ipv4.ip_forward").stdout.trimmed == "1")
        // And the other advice holds too: a restart recreates a missing bridge.
        _ = try d.host.sh("ip link del \(d.bridge)")
        d.stop()
        try d.start()
        #expect(try d.cli(["doctor"]).status == 0)
    }

    @Test func pruneRemovesOnlyWhatTheFilterSelects() throws {
        let d = try Daemon()
        defer { d.close() }
        try d.start()
        #expect(try d.cli(["network", "create", "--label", "team=a", "pa"]).status == 0)
        #expect(try d.cli(["network", "create", "--label", "team=b", "pb"]).status == 0)
        // Without -f and without a terminal to ask on, prune refuses and changes nothing.
        let refused = try d.cli(["network", "prune"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        let pruned = try d.cli(["network", "prune", "-f", "--filter", "label=team=a"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("Deleted Networks:\npa"))
        let left = try d.cli(["network", "ls", "--format", "{{.Name}}"]).stdout.split(separator: "\n").sorted()
        #expect(left == ["bridge", "host", "none", "pb"])
        #expect(try d.cli(["network", "prune", "-f"]).stdout.contains("pb"))
        #expect(!(try d.host.sh("ip -o link show type bridge").stdout.contains("br-")))
    }

    @Test(arguments: ["network-create:after-bridge", "network-create:after-firewall"])
    func killedMidCreateLeavesNothingAfterRestart(_ fault: String) throws {
        let d = try Daemon()
        defer { d.close() }
        try d.start()
        d.stop()
        // berthd dies abruptly (exit 137, like SIGKILL) halfway through the create.
        try d.start(extraEnv: ["BERTH_FAULT=\(fault)"])
        let r = try d.cli(["network", "create", "crashy"])
        #expect(r.status != 0)
        #expect(d.waitForExit() != nil)
        // Half-made: the bridge exists in the kernel right now.
        #expect(try d.host.sh("ip -o link show type bridge").stdout.contains("br-"))
        // A normal start reconciles: no bridge, no rules, no network, no allocation.
        try d.start()
        #expect(try d.host.sh("ip -o link show type bridge").stdout.contains("br-") == false)
        #expect(try d.host.sh("nft list table ip \(d.table)").stdout.contains("br-") == false)
        #expect(try d.cli(["network", "ls", "-q", "--filter", "name=crashy"]).stdout.trimmed.isEmpty)
        // And the same name and subnet are free again.
        let again = try d.cli(["network", "create", "crashy"])
        #expect(again.status == 0, "\(again.stderr)")
        let sub = try d.cli(["network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "crashy"])
        #expect(sub.stdout.trimmed == "172.18.0.0/16")
        let log = (try? FileSystem.readText(d.host.directory + "/berthd.log")) ?? ""
        #expect(log.contains("undid half-made network crashy"))
    }

    @Test func cliStartsTheDaemonWhenNoneAnswers() throws {
        let d = try Daemon()
        defer { d.close() }
        let r = try d.cli(["network", "ls", "-q"], autostart: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("started berthd"))
        #expect(r.stdout.split(separator: "\n").count == 3)
        // The autostarted daemon is the one to stop: find it by its socket's lock holder.
        let pids = try TestSupport.sh("pgrep -f berthd || true").stdout
        for p in pids.split(separator: "\n") {
            // Only ours: its environment names our run directory.
            if let env = try? FileSystem.readText("/proc/\(p)/environ"), env.contains(d.run) { d.pid = Int32(p) ?? 0 }
        }
        #expect(d.pid > 0)
    }
}

@Suite("daemon.json end to end (privileged)", .serialized) struct DaemonConfigTests {
    @Test func bipAndPoolsFromConfig() throws {
        let d = try Daemon()
        defer { d.close() }
        try FileSystem.writeFile(
            d.host.directory + "/daemon.json",
            Array(#"{"bip": "10.123.0.1/24", "default-address-pools": [{"base": "10.124.0.0/16", "size": 24}], "mtu": 1450, "log-level": "debug"}"#.utf8))
        try d.start()
        #expect(try d.host.sh("ip -o -4 addr show \(d.bridge)").stdout.contains("10.123.0.1/24"))
        #expect(try d.host.sh("ip -o link show \(d.bridge)").stdout.contains("mtu 1450"))
        let created = try d.cli(["network", "create", "pooled"])
        #expect(created.status == 0, "\(created.stderr)")
        let subnet = try d.cli(["network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "pooled"])
        #expect(subnet.stdout.trimmed == "10.124.0.0/24")
        // The unknown key is reported, not fatal.
        let info = try d.cli(["info"])
        #expect(info.stdout.contains("log-level"))
    }

    @Test func malformedConfigStopsTheDaemonWithAClearMessage() throws {
        let d = try Daemon()
        defer { d.close() }
        try FileSystem.writeFile(d.host.directory + "/daemon.json", Array(#"{"bip": "172.17.0.1/16",}"#.utf8))
        #expect(throws: BerthError.self) { try d.start() }
        let log = (try? FileSystem.readText(d.host.directory + "/berthd.log")) ?? ""
        #expect(log.contains("daemon.json"))
        #expect(log.contains("line 1"))
        // Nothing was made.
        #expect(!(try d.host.sh("ip -o link show type bridge").stdout.contains(d.bridge)))
    }
}
