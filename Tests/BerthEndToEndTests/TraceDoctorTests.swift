import BerthAPI
import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tier 3: `berth trace` on working and broken paths, `berth doctor` finding and removing planted orphans.
/// Every broken state is made for real in the daemon's scratch namespace.
@Suite("trace and doctor end to end (privileged)", .serialized) struct TraceDoctorTests {
    /// `berth trace … --format json`, decoded; the exit status is 0 exactly when no step is broken.
    func trace(_ d: Daemon, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> TraceReport
    {
        let r = try await d.cli(["trace"] + args + ["--format", "json"])
        let report = try JSONDecoder().decode(TraceReport.self, from: Data(r.stdout.utf8))
        #expect(
            r.status == (report.firstBroken == nil ? 0 : 1), "exit \(r.status): \(r.stderr)",
            sourceLocation: sourceLocation)
        return report
    }

    /// The name of the first broken step ("" when the path is whole).
    func brokenStep(_ d: Daemon, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> (
        String, String
    ) {
        let r = try await trace(d, args, sourceLocation: sourceLocation)
        return (r.firstBroken?.step ?? "", (r.firstBroken?.detail ?? "") + " | " + (r.firstBroken?.fix ?? ""))
    }

    /// Network `app` and an httpd `web` on it publishing 8080:80: the path these tests trace.
    func startWeb(_ d: Daemon) async throws {
        try await d.ok(["network", "create", "app"])
        try await d.ok([
            "run", "-d", "--name", "web", "--network", "app", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/etc",
        ])
    }

    @Test func workingPaths() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await startWeb(d)
        try await d.ok(["run", "-d", "--name", "client", "--network", "app", "busybox", "sleep", "300"])
        let ip = try await d.inspect("web", "{{.NetworkSettings.Networks.app.IPAddress}}")
        try await waitForListener(d, "web", ":80 ")

        // The host dials 127.0.0.1:8080 for real; then the trace shows every object and the DNAT counter.
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8080/hostname").stdout.trimmed.count == 12)
        let host = try await trace(d, ["web", "80"])
        #expect(host.firstBroken == nil)
        #expect(host.destination == "127.0.0.1:8080/tcp")
        #expect(
            host.steps.map(\.step) == [
                "container", "publish", "dnat", "route_localnet", "route", "masquerade", "bridge", "veth", "eth0",
                "listener",
            ])
        let dnat = try #require(host.steps.first { $0.step == "dnat" })
        #expect((dnat.packets ?? 0) >= 1)
        #expect(dnat.object.contains("chain output"))
        let masq = try #require(host.steps.first { $0.step == "masquerade" })
        #expect((masq.packets ?? 0) >= 1)
        let bridge = try #require(host.steps.first { $0.step == "bridge" }).object.replacingOccurrences(
            of: "bridge ", with: "")
        #expect(bridge.hasPrefix("br-"))
        let veth = try #require(host.steps.first { $0.step == "veth" }).object.replacingOccurrences(
            of: "veth ", with: "")
        // The objects named are the kernel's: the veth is enslaved to that bridge, eth0 holds the address.
        #expect(try await d.hostSh("ip -o link show master \(bridge)").stdout.contains(veth + "@"))
        #expect(try #require(host.steps.first { $0.step == "eth0" }).detail.contains(ip + "/"))
        let listener = try #require(host.steps.first { $0.step == "listener" })
        #expect(listener.detail.contains(":80 LISTEN") && listener.detail.contains("process httpd"))

        // Human view: numbered ✓ steps.
        let human = try await d.cli(["trace", "web", "80"])
        #expect(human.status == 0)
        #expect(human.stdout.contains("  1 ✓ container") && human.stdout.contains("the path is whole"))

        // Container → container by name, through the embedded resolver, over the shared bridge.
        #expect(try await d.ok(["exec", "client", "timeout", "5", "wget", "-qO-", "http://web/hostname"]).count == 12)
        let peer = try await trace(d, ["web", "80/tcp", "--from", "client"])
        #expect(peer.firstBroken == nil)
        #expect(
            peer.steps.map(\.step) == [
                "source", "container", "dns", "source eth0", "source veth", "bridge", "forward", "veth", "eth0",
                "listener",
            ])
        #expect(try #require(peer.steps.first { $0.step == "dns" }).detail.contains("web → \(ip)"))
    }

    @Test func brokenPaths() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await startWeb(d)
        try await waitForListener(d, "web", ":80 ")

        // No listener on the port.
        try await d.ok(["run", "-d", "--name", "idle", "--network", "app", "-p", "8081:80", "busybox", "sleep", "300"])
        var (step, text) = try await brokenStep(d, ["idle", "80"])
        #expect(step == "listener" && text.contains("nothing listens on 80/tcp"), "\(text)")
        #expect(
            try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8081/ >/dev/null 2>&1; echo $?").stdout.trimmed
                != "0")

        // A server bound to 127.0.0.1 inside the container.
        try await d.ok([
            "run", "-d", "--name", "local", "--network", "app", "-p", "8082:80", "busybox", "httpd", "-f", "-p",
            "127.0.0.1:80", "-h", "/etc",
        ])
        try await waitForListener(d, "local", "127.0.0.1:80")
        (step, text) = try await brokenStep(d, ["local", "80"])
        #expect(step == "listener" && text.contains("127.0.0.1:80 only") && text.contains("0.0.0.0"), "\(text)")

        // Published on another host address than the one dialed; dialing that address works.
        try await d.ok([
            "run", "-d", "--name", "addr", "--network", "app", "-p", "198.51.100.1:8083:80", "busybox", "httpd", "-f",
            "-p", "80", "-h", "/etc",
        ])
        try await waitForListener(d, "addr", ":80 ")
        (step, text) = try await brokenStep(d, ["addr", "80"])
        #expect(step == "publish" && text.contains("198.51.100.1:8083 only, not on 127.0.0.1"), "\(text)")
        (step, text) = try await brokenStep(d, ["addr", "80", "--address", "198.51.100.1"])
        #expect(step == "", "\(text)")
        #expect(try await d.hostSh("timeout 5 wget -qO- http://198.51.100.1:8083/hostname").stdout.trimmed.count == 12)

        // Not published at all.
        try await d.ok([
            "run", "-d", "--name", "nopub", "--network", "app", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc",
        ])
        (step, text) = try await brokenStep(d, ["nopub", "80"])
        #expect(step == "publish" && text.contains("not published") && text.contains("-p HOSTPORT:80"), "\(text)")

        // A stopped container.
        try await d.ok([
            "run", "-d", "--name", "gone", "--network", "app", "-p", "8085:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/etc",
        ])
        try await d.ok(["stop", "-t", "1", "gone"])
        (step, text) = try await brokenStep(d, ["gone", "80"])
        #expect(step == "container" && text.contains("exited") && text.contains("berth start gone"), "\(text)")

        // An internal network: no published ports, no way in.
        try await d.ok(["network", "create", "--internal", "sealed"])
        try await d.ok([
            "run", "-d", "--name", "inner", "--network", "sealed", "-p", "8084:80", "busybox", "httpd", "-f", "-p",
            "80", "-h", "/etc",
        ])
        (step, text) = try await brokenStep(d, ["inner", "80"])
        #expect(step == "publish" && text.contains("internal network sealed"), "\(text)")
        #expect(
            try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8084/ >/dev/null 2>&1; echo $?").stdout.trimmed
                != "0")

        // Isolation: a container on another network.
        try await d.ok(["network", "create", "other"])
        try await d.ok(["run", "-d", "--name", "stranger", "--network", "other", "busybox", "sleep", "300"])
        let webIP = try await d.inspect("web", "{{.NetworkSettings.Networks.app.IPAddress}}")
        #expect(try await d.cli(["exec", "stranger", "timeout", "3", "wget", "-qO-", "http://\(webIP)/"]).status != 0)
        (step, text) = try await brokenStep(d, ["web", "80", "--from", "stranger"])
        #expect(
            step == "isolation" && text.contains("share no network")
                && text.contains("berth network connect app stranger"), "\(text)")

        // From outside the host (routed): a client namespace on the far end of the test uplink dials the
        // host's 198.51.100.1:8080 for real, beside each trace. Whole, then ip_forward=0 breaks it.
        let outside = "btc" + TestSupport.randomHex(6)
        defer { _ = try? Subprocess.run(["ip", "netns", "del", outside]) }
        let client = try await d.hostSh(
            "ip netns add \(outside) && ip link set up1 netns \(outside) && ip -n \(outside) addr add 198.51.100.2/24 dev up1"
                + " && ip -n \(outside) link set up1 up && ip -n \(outside) route add default via 198.51.100.1")
        #expect(client.succeeded, "\(client.stderr)")
        func fromOutside() async throws -> Bool {
            let r = try await d.machineSh(
                "ip netns exec \(outside) timeout 3 busybox wget -qO- http://198.51.100.1:8080/hostname")
            return r.succeeded && r.stdout.trimmed.count == 12
        }
        (step, text) = try await brokenStep(d, ["web", "80", "--from", "198.51.100.2"])
        #expect(step == "", "\(text)")
        #expect(try await fromOutside())
        _ = try await d.hostSh("sysctl -qw net.ipv4.ip_forward=0")
        (step, text) = try await brokenStep(d, ["web", "80", "--from", "198.51.100.2"])
        #expect(step == "ip_forward" && text.contains("net.ipv4.ip_forward is 0"), "\(text)")
        #expect(!(try await fromOutside()))
        _ = try await d.hostSh("sysctl -qw net.ipv4.ip_forward=1")
        #expect(try await fromOutside())

        // Another firewall's FORWARD policy drop without berth's accept rules; doctor --fix adds them.
        let foreign = try await d.hostSh(
            "nft add table ip filter && nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'"
        )
        #expect(foreign.succeeded, "\(foreign.stderr)")
        #expect(!(try await d.hostSh("nft list chain ip filter FORWARD").stdout.contains(d.table + ":net:")))
        (step, text) = try await brokenStep(d, ["web", "80", "--from", "198.51.100.2"])
        #expect(step == "forward" && text.contains("policy drop") && text.contains("berth doctor --fix"), "\(text)")
        #expect(!(try await fromOutside()))
        let doctor = try await d.cli(["doctor"])
        #expect(doctor.status == 1 && doctor.stdout.contains("FAIL  forward-policy"), "\(doctor.stdout)")
        _ = try await d.cli(["doctor", "--fix"])
        #expect(try await d.hostSh("nft list chain ip filter FORWARD").stdout.contains(d.table + ":net:"))
        (step, text) = try await brokenStep(d, ["web", "80", "--from", "198.51.100.2"])
        #expect(step == "", "\(text)")
        #expect(try await fromOutside())
        _ = try await d.hostSh("nft delete table ip filter")

        // The host veth down, then the bridge down.
        let report = try await trace(d, ["web", "80"])
        #expect(report.firstBroken == nil)
        let veth = try #require(report.steps.first { $0.step == "veth" }).object.replacingOccurrences(
            of: "veth ", with: "")
        let bridge = try #require(report.steps.first { $0.step == "bridge" }).object.replacingOccurrences(
            of: "bridge ", with: "")
        _ = try await d.hostSh("ip link set \(veth) down")
        (step, text) = try await brokenStep(d, ["web", "80"])
        #expect(
            step == "veth" && text.contains("\(veth)") && text.contains("down")
                && text.contains("ip link set \(veth) up"), "\(text)")
        #expect(
            try await d.hostSh("timeout 3 wget -qO- http://127.0.0.1:8080/ >/dev/null 2>&1; echo $?").stdout.trimmed
                != "0")
        _ = try await d.hostSh("ip link set \(veth) up")
        _ = try await d.hostSh("ip link set \(bridge) down")
        (step, text) = try await brokenStep(d, ["web", "80"])
        #expect(step == "bridge" && text.contains("down"), "\(text)")
        _ = try await d.hostSh("ip link set \(bridge) up")
        (step, text) = try await brokenStep(d, ["web", "80"])
        #expect(step == "", "\(text)")
    }

    /// Plants one orphan of each kind for real, checks doctor names each, `--fix` removes exactly those
    /// (not look-alikes that are not berth's, not the live container), and a second `--fix` removes nothing.
    @Test func doctorFindsAndRemovesPlantedOrphans() async throws {
        let d = try Daemon()
        defer {
            d.close()
            _ = try? Subprocess.run(["umount", "-l", d.netnsDirectory + "/notours"])
        }
        try await d.startOffPool()
        try await startWeb(d)
        try await waitForListener(d, "web", ":80 ")
        let netId = try await d.ok(["network", "inspect", "-f", "{{.Id}}", "app"])
        let bridge = "br-" + netId.prefix(12)
        let clean = try await d.cli(["doctor", "--format", "json"])
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(!clean.stdout.contains("orphan ") || clean.stdout.contains("\"orphan objects\""))

        let fakeEp = "0123456789ab"
        let fakeId = String(repeating: "d", count: 64)
        let pin = d.run + "/netns/" + fakeId
        let named = d.netnsDirectory + "/ghost"
        let dir = d.root + "/containers/" + fakeId
        let plant = try await d.hostSh(
            """
            set -e
            ip link add veth0abc123 type veth peer name strayp0 && ip link set veth0abc123 master \(bridge)
            ip link add br-00aa11bb22cc type bridge
            ip link add keepme0 type veth peer name keepme1
            ip link add foreignbr0 type bridge && ip link add veth1111111 type veth peer name foreignp0 && ip link set veth1111111 master foreignbr0
            touch \(pin) && unshare --net mount --bind /proc/self/ns/net \(pin)
            mkdir -p \(d.netnsDirectory) && touch \(named) && mount --bind \(pin) \(named)
            touch \(d.netnsDirectory)/notours && unshare --net mount --bind /proc/self/ns/net \(d.netnsDirectory)/notours
            nft add element ip \(d.table) pub-tcp '{ 9999 comment "\(d.table):ep:\(fakeEp)" : 10.99.0.2 . 80 }'
            nft 'add rule ip \(d.table) forward iifname "br-00aa11bb22cc" accept comment "\(d.table):net:00aa11bb22cc"'
            nft 'add table ip filter; add chain ip filter FORWARD { type filter hook forward priority 0; policy accept; }'
            nft 'add rule ip filter FORWARD iifname "br-00aa11bb22cc" accept comment "\(d.table):net:00aa11bb22cc"'
            nft 'add rule ip filter FORWARD iifname "br-00aa11bb22cc" accept comment "someone-else"'
            ip route add 172.18.5.0/24 dev up0
            sqlite3 \(d.root)/berth.db "insert into addressAllocation(networkId, address, owner) values('\(netId)', '10.250.0.9', '\(String(repeating: "e", count: 64))')"
            mkdir -p \(dir)/lower \(dir)/upper \(dir)/work \(dir)/rootfs
            mount -t overlay overlay -o lowerdir=\(dir)/lower,upperdir=\(dir)/upper,workdir=\(dir)/work \(dir)/rootfs
            """)
        #expect(plant.succeeded, "\(plant.stderr)")
        let planted: Set<String> = [
            "veth0abc123", "br-00aa11bb22cc", pin, named, "pub-tcp { 9999 }", "app 10.250.0.9", dir + "/rootfs", dir,
        ]

        let found = try await doctorChecks(d, ["doctor", "--format", "json"])
        let orphans = Set(found.filter { $0.name.hasPrefix("orphan ") && $0.status == .warning }.compactMap(\.object))
        let ruleObject = try #require(orphans.first { $0.hasPrefix("ip \(d.table) forward handle") })
        let hostRule = try #require(orphans.first { $0.hasPrefix("ip filter FORWARD handle") })
        #expect(orphans == planted.union([ruleObject, hostRule]), "\(orphans.sorted())")
        // A subnet overlapping a host route is a warning, not an orphan: --fix leaves it alone.
        #expect(
            found.contains {
                $0.name.hasPrefix("subnet ") && $0.detail.contains("172.18.5.0/24") && $0.status == .warning
            })
        let human = try await d.cli(["doctor"])
        #expect(human.stdout.contains("WARN  orphan veth: veth veth0abc123 (on \(bridge))"), "\(human.stdout)")

        let fixed = try await doctorChecks(d, ["doctor", "--fix", "--format", "json"])
        let removed = Set(fixed.filter { $0.removed == true }.compactMap(\.object))
        #expect(removed == planted.union([ruleObject, hostRule]), "\(removed.sorted())")
        #expect(!fixed.contains { $0.name.hasPrefix("orphan ") && $0.status != .ok }, "\(fixed)")

        // Gone from the kernel and disk; the look-alikes that are not berth's stay.
        let links = try await d.hostSh("ip -o link show").stdout
        #expect(!links.contains("veth0abc123") && !links.contains("br-00aa11bb22cc") && !links.contains("strayp0"))
        #expect(links.contains("keepme0") && links.contains("veth1111111") && links.contains("foreignbr0"))
        #expect(!FileSystem.exists(pin) && !FileSystem.exists(named) && !FileSystem.exists(dir))
        #expect(NetworkNamespace(path: d.netnsDirectory + "/notours").exists)
        #expect(try await d.machineSh("grep -c ' \(dir)' /proc/mounts || true").stdout.trimmed == "0")
        let hostForward = try await d.hostSh("nft list chain ip filter FORWARD").stdout
        #expect(!hostForward.contains("\(d.table):net:00aa11bb22cc") && hostForward.contains("someone-else"))
        #expect(try await d.hostSh("ip route show 172.18.5.0/24").stdout.contains("up0"))
        let ruleset = try await d.hostSh("nft list table ip \(d.table)").stdout
        #expect(!ruleset.contains(fakeEp) && !ruleset.contains("00aa11bb22cc") && ruleset.contains("8080"))
        let rows = try await d.machineSh(
            "sqlite3 \(d.root)/berth.db \"select count(*) from addressAllocation where address='10.250.0.9'\"")
        #expect(rows.stdout.trimmed == "0")

        // The live container and network are intact and still work.
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8080/hostname").stdout.trimmed.count == 12)
        #expect(try await trace(d, ["web", "80"]).firstBroken == nil)
        #expect(try await d.inspect("web", "{{.State.Status}}") == "running")

        // Idempotent: nothing more to remove.
        let again = try await doctorChecks(d, ["doctor", "--fix", "--format", "json"])
        #expect(!again.contains { $0.removed == true })
        // The reverse: a record whose kernel object vanished (web's veth deleted behind berth's back).
        let veth = try #require(try await trace(d, ["web", "80"]).steps.first { $0.step == "veth" }).object
            .replacingOccurrences(of: "veth ", with: "")
        _ = try await d.hostSh("ip link del \(veth)")
        let vanished = try await d.cli(["doctor"])
        #expect(
            vanished.status == 1 && vanished.stdout.contains("FAIL  endpoint \(veth)")
                && vanished.stdout.contains("berth restart web"), "\(vanished.stdout)")
        #expect(try await brokenStepName(d, ["web", "80"]) == "veth")
        _ = try await d.hostSh(
            "ip link del keepme0; ip link del veth1111111; ip link del foreignbr0; nft delete table ip filter; ip route del 172.18.5.0/24"
        )
        _ = try await d.hostSh("umount \(d.netnsDirectory)/notours; rm -f \(d.netnsDirectory)/notours")
    }

    /// With Docker on the host, bridges and veths named like berth's may be Docker's: reported never, removed never.
    @Test func doctorLeavesDockerLookalikesAlone() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let plant = try await d.hostSh(
            """
            set -e
            ip link add docker0 type bridge
            ip link add br-0123456789ab type bridge
            ip link add veth7654321 type veth peer name dockerp0 && ip link set veth7654321 master br-0123456789ab
            """)
        #expect(plant.succeeded, "\(plant.stderr)")
        let fixed = try await doctorChecks(d, ["doctor", "--fix", "--format", "json"])
        #expect(!fixed.contains { $0.removed == true || $0.name.hasPrefix("orphan ") && $0.status != .ok }, "\(fixed)")
        let links = try await d.hostSh("ip -o link show").stdout
        #expect(links.contains("br-0123456789ab") && links.contains("veth7654321"))
        _ = try await d.hostSh("ip link del veth7654321; ip link del br-0123456789ab; ip link del docker0")
    }

    /// The default bridge: containers reach each other by address only, so tracing by name names DNS.
    @Test func traceOnTheDefaultBridgeNamesDNS() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        // busybox's UDP server: udhcpd, bound to 0.0.0.0:67.
        try await d.ok([
            "run", "-d", "--name", "web", "-p", "6767:67/udp", "busybox", "sh", "-c",
            "printf 'interface eth0\\nlease_file /tmp/leases\\n' > /tmp/u.conf; touch /tmp/leases; exec udhcpd -f /tmp/u.conf",
        ])
        try await d.ok(["run", "-d", "--name", "client", "busybox", "sleep", "300"])
        let (step, text) = try await brokenStep(d, ["web", "67/udp", "--from", "client"])
        #expect(step == "dns" && text.contains("default bridge"), "\(text)")
        // UDP from the host: the published port, and the bound socket of nc.
        var report = try await trace(d, ["web", "67/udp"])
        for _ in 0..<50 where report.firstBroken?.step == "listener" {
            try await Task.sleep(nanoseconds: 100_000_000)
            report = try await trace(d, ["web", "67/udp"])
        }
        #expect(report.firstBroken == nil, "\(report.steps)")
        #expect(report.destination == "127.0.0.1:6767/udp")
        let listener = try #require(report.steps.last)
        #expect(
            listener.detail.contains("0.0.0.0:67 bound") && listener.detail.contains("process udhcpd"),
            "\(listener.detail)")
    }

    func brokenStepName(_ d: Daemon, _ args: [String]) async throws -> String { try await brokenStep(d, args).0 }

    func doctorChecks(_ d: Daemon, _ args: [String]) async throws -> [DoctorCheck] {
        let r = try await d.cli(args)
        return try r.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(DoctorCheck.self, from: Data($0.utf8))
        }
    }

    /// Waits (bounded) until the container's namespace has a socket listening on `address`.
    func waitForListener(_ d: Daemon, _ name: String, _ address: String) async throws {
        for _ in 0..<50 {
            if try await d.cli(["exec", name, "netstat", "-ltn"]).stdout.contains(address) { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
