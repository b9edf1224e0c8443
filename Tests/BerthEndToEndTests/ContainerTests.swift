import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tier 3: containers run by the real berthd + berth + OCI runtime with the built-in busybox image
/// (SCENARIOS.md B, M, N, P, V).
@Suite("containers end to end (privileged)", .serialized) struct ContainerTests {
    /// B2, B3, B4, B5, M4: the default bridge, inspect's values, the veth pair, cleanup.
    @Test func defaultBridgeInspectVethAndCleanup() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let before = try await d.leftovers()
        let id = try await d.ok(["run", "-d", "--name", "web", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(id.count == 64)
        // B2
        let pid = Int32(try await d.inspect("web", "{{.State.Pid}}")) ?? 0
        #expect(pid > 0 && kill(pid, 0) == 0)
        #expect(try await d.inspect("web", "{{.State.Status}} {{.State.Running}}") == "running true")
        let sandbox = try await d.inspect("web", "{{.NetworkSettings.SandboxKey}}")
        #expect(sandbox == d.run + "/netns/" + id)
        #expect(NetworkNamespace(path: sandbox).exists)
        #expect(try await d.inspect("web", "{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}}") == "172.17.0.2/16")
        #expect(try await d.inspect("web", "{{.NetworkSettings.Gateway}}") == "172.17.0.1")
        #expect(try await d.inspect("web", "{{.NetworkSettings.MacAddress}}") == "02:42:ac:11:00:02")
        #expect(try await d.inspect("web", "{{.NetworkSettings.Networks.bridge.IPAddress}}") == "172.17.0.2")
        // The host reaches the container at that address directly.
        #expect(try await d.hostSh("timeout 5 wget -qO- http://172.17.0.2/hostname").stdout.trimmed == String(id.prefix(12)))
        // B3: veth<hex>@ifN on the bridge; eth0@ifM inside; N and M are each other's indexes.
        let hostSide = try await d.hostSh("ip -o link show master \(d.bridge)").stdout
        let vethMatch = try #require(hostSide.firstMatch(of: /(\d+): (veth[0-9a-f]+)@if(\d+):/))
        let inside = try await d.ok(["exec", "web", "ip", "-o", "link", "show", "eth0"])
        let eth0Match = try #require(inside.firstMatch(of: /(\d+): eth0@if(\d+):/))
        #expect(String(vethMatch.3) == String(eth0Match.1))
        #expect(String(eth0Match.2) == String(vethMatch.1))
        #expect(try await d.hostSh("bridge link").stdout.contains(String(vethMatch.2)))
        // B5: a second container reaches the first by IP.
        let got = try await d.ok(["run", "--rm", "busybox", "wget", "-qO-", "http://172.17.0.2/hostname"])
        #expect(got == String(id.prefix(12)))
        // B6: no name resolution on the default bridge; the host's resolvers, not 127.0.0.11.
        let ping = try await d.cli(["run", "--rm", "busybox", "ping", "-c1", "-W1", "web"])
        #expect(ping.status != 0)
        #expect(!(try await d.ok(["exec", "web", "cat", "/etc/resolv.conf"])).contains("127.0.0.11"))
        // B4: rm -f removes the veth; the bridge is NO-CARRIER again; nothing left.
        try await d.ok(["rm", "-f", "web"])
        #expect(!(try await d.hostSh("ip -o link show").stdout.contains(String(vethMatch.2))))
        #expect(try await d.hostSh("ip -o link show \(d.bridge)").stdout.contains("NO-CARRIER"))
        #expect(try await d.leftovers(ids: [id]) == before)
        #expect(try await d.cli(["inspect", "web"]).status != 0)
    }

    /// M1 none, M2 host, M3 container:<name>.
    @Test func networkModes() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        // M1
        let links = try await d.ok(["run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"])
        #expect(links.split(separator: "\n").count == 1 && links.contains(": lo:"))
        #expect(try await d.ok(["run", "--rm", "--network", "none", "busybox", "ip", "route"]) == "")
        // M2: the host's namespace; a second server on the same port fails and says why.
        try await d.ok(["run", "-d", "--name", "h1", "--network", "host", "busybox", "httpd", "-f", "-p", "8081"])
        let h1 = Int32(try await d.inspect("h1", "{{.State.Pid}}")) ?? 0
        #expect(try NetworkNamespace.of(pid: h1).inode() == NetworkNamespace.of(pid: d.pid).inode())
        #expect(try await d.inspect("h1", "{{.NetworkSettings.IPAddress}}") == "")
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8081/ >/dev/null; echo $?").stdout.trimmed != "1")
        let second = try await d.cli(["run", "--name", "h2", "--network", "host", "busybox", "httpd", "-f", "-p", "8081"])
        #expect(second.status == 1)
        #expect(try await d.ok(["logs", "h2"]).contains("Address already in use") || second.stderr.contains("Address already in use"))
        #expect(try await d.ok(["ps", "-a", "--filter", "name=h2", "--format", "{{.Status}}"]).hasPrefix("Exited (1)"))
        #expect(!(try await d.ok(["network", "inspect", "-f", "{{json .Containers}}", "host"])).contains("h1"))
        // M3: a sibling in web's namespace reaches web's server on localhost.
        try await d.ok(["run", "-d", "--name", "web", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        let web = try await d.inspect("web", "{{.NetworkSettings.IPAddress}}")
        let sib = try await d.ok(["run", "--rm", "--network", "container:web", "busybox", "sh", "-c",
            "wget -qO- http://localhost/hostname; ip -o -4 addr show eth0"])
        #expect(sib.contains(web + "/16"))
        #expect(sib.hasPrefix(try await d.ok(["exec", "web", "hostname"])))
        try await d.ok(["rm", "-f", "web", "h1", "h2"])
    }

    /// P1–P4: publishing, conflicts of both kinds, namespaces isolate ports.
    @Test func portPublishing() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["run", "-d", "--name", "p1", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        let host = try await d.ok(["inspect", "-f", "{{.Config.Hostname}}", "p1"])
        // P1: from 127.0.0.1 and from the host's own address.
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8080/hostname").stdout.trimmed == host)
        #expect(try await d.hostSh("timeout 5 wget -qO- http://198.51.100.1:8080/hostname").stdout.trimmed == host)
        #expect(try await d.ok(["port", "p1"]) == "80/tcp -> 0.0.0.0:8080")
        // P2: the DNAT rule is visible with the system's tools.
        let rules = try await d.hostSh("nft list table ip \(d.table)").stdout
        let ip = try await d.inspect("p1", "{{.NetworkSettings.IPAddress}}")
        #expect(rules.contains("8080") && rules.contains(ip) && rules.contains("dnat"), "\(rules)")
        let before = try await d.leftovers()
        // P3: the same host port again is refused, with nothing half-made.
        let again = try await d.cli(["run", "-d", "--name", "p2", "-p", "8080:80", "busybox", "httpd", "-f"])
        #expect(again.status == 125)
        #expect(again.stderr.contains("8080") && again.stderr.contains("already"))
        #expect(try await d.hostSh("ip -o link show master \(d.bridge) | wc -l").stdout.trimmed == "1")
        #expect(try await d.ok(["ps", "-a", "--filter", "name=p2", "--format", "{{.State}}"]) == "created")
        try await d.ok(["rm", "p2"])
        #expect(try await d.leftovers() == before)
        // …and so is a port some other program listens on.
        let other = try d.host.spawnBackground("exec busybox nc -l -p 8090")
        defer { kill(other, SIGKILL) }
        try await Task.sleep(for: .milliseconds(200))
        let busy = try await d.cli(["run", "-d", "--name", "p3", "-p", "8090:80", "busybox", "httpd", "-f"])
        #expect(busy.status == 125)
        #expect(busy.stderr.contains("8090") && busy.stderr.contains("in use"))
        #expect(try await d.hostSh("ip -o link show master \(d.bridge) | wc -l").stdout.trimmed == "1")
        // P4: a fresh namespace binds 8080 freely while it is published on the host.
        let ns = try ScratchNamespace(name: "p4")
        defer { ns.close() }
        let p4 = try await ns.shAsync("timeout 1 busybox nc -l -p 8080; echo rc=$?")
        #expect(p4.stdout.contains("rc=143") || p4.stdout.contains("rc=124"), "\(p4.stdout) \(p4.stderr)")
        // -p 80 (ephemeral) and -P.
        try await d.ok(["run", "-d", "--name", "p5", "-p", "80", "--expose", "81", "-P", "busybox", "httpd", "-f"])
        let ports = try await d.ok(["port", "p5"])
        #expect(ports.contains("80/tcp -> 0.0.0.0:") && ports.contains("81/tcp -> 0.0.0.0:"))
        // A host range for one container port takes the first free port of it (8080 is p1's).
        try await d.ok(["run", "-d", "--name", "p6", "-p", "8080-8082:80", "busybox", "httpd", "-f"])
        #expect(try await d.ok(["port", "p6", "80"]) == "0.0.0.0:8081")
        // 1,100 ports at once (berthd holds a socket per port while it starts the container, more
        // descriptors than select(2) can take): the container runs, the ports answer, berthd lives on.
        try await d.ok(["run", "-d", "--name", "p7", "-p", "31000-32099:31000-32099", "busybox", "httpd", "-f", "-p", "32099", "-h", "/etc"])
        #expect(try await d.ok(["port", "p7"]).split(separator: "\n").count == 1100)
        // berth's CLI sent that as one range key; the API takes them as Docker's clients send ports too
        // (a key per port), and says what is wrong with a range whose host side does not fit.
        let create = #"{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"#
        let mixed = try d.rawHTTP(
            "POST", "/containers/create?name=p9",
            body: create + #""7001/tcp":[{"HostPort":"7101"}],"7002-7003/udp":[{"HostPort":"7102-7103"}]}}}"#)
        #expect(mixed.status == 201, "\(mixed.body)")
        #expect(try await d.ok(["inspect", "-f", "{{json .Config.ExposedPorts}}", "p9"]) == #"{"7001/tcp":{},"7002/udp":{},"7003/udp":{}}"#)
        let misfit = try d.rawHTTP("POST", "/containers/create", body: create + #""80-82/tcp":[{"HostPort":"9000-9001"}]}}}"#)
        #expect(misfit.status == 400)
        #expect(misfit.body.contains("a range of 3 container ports takes a host range of the same length"), "\(misfit.body)")
        try await d.ok(["run", "-d", "--name", "p8", "-p", "8093:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        let p8 = try await d.ok(["inspect", "-f", "{{.Config.Hostname}}", "p8"])
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8093/hostname").stdout.trimmed == p8)
        let p7 = try await d.ok(["inspect", "-f", "{{.Config.Hostname}}", "p7"])
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:32099/hostname").stdout.trimmed == p7)
        try await d.ok(["rm", "-f", "p1", "p3", "p5", "p6", "p7", "p8", "p9"])
        #expect(try await d.hostSh("nft list table ip \(d.table) | grep -c ':ep:' || true").stdout.trimmed == "0")
    }

    /// N1, N3, N4, V1.
    @Test func namespacesCgroupsAndIpNetns() async throws {
        let d = try Daemon()
        defer { d.close() }
        d.netnsDirectory = "/run/netns"
        try await d.startOffPool()
        let name = "berth-e2e-" + TestSupport.randomHex(4)
        let id = try await d.ok(["run", "-d", "--name", name, "-m", "50m", "busybox", "httpd", "-f", "-p", "80"])
        defer { _ = try? d.cli(["rm", "-f", name]) as SubprocessResult }
        let pid = try await d.inspect(name, "{{.State.Pid}}")
        // N1: own mnt, uts, ipc, pid, net, cgroup; the host's user and time. (PID 1 of these machines
        // hides its namespaces, so berthd — in the host's namespaces but for its test network — stands in.)
        let host = d.pid
        for ns in ["mnt", "uts", "ipc", "pid", "net", "cgroup"] {
            #expect(try FileSystem.readLink("/proc/\(pid)/ns/\(ns)") != FileSystem.readLink("/proc/\(host)/ns/\(ns)"), "\(ns)")
        }
        for ns in ["user", "time"] {
            #expect(try FileSystem.readLink("/proc/\(pid)/ns/\(ns)") == FileSystem.readLink("/proc/\(host)/ns/\(ns)"), "\(ns)")
        }
        // N4: 50m is 52428800 in the container's own memory cgroup.
        let cg = try FileSystem.readText("/proc/\(pid)/cgroup")
        let memoryLine = try #require(cg.split(separator: "\n").first { $0.contains(":memory:") })
        #expect(memoryLine.hasSuffix("/berth/\(id)"))
        #expect(try FileSystem.readText("/sys/fs/cgroup/memory/berth/\(id)/memory.limit_in_bytes").trimmed == "52428800")
        // N3: --pid container:X sees X's process as PID 1.
        let ps = try await d.ok(["run", "--rm", "--pid", "container:\(name)", "busybox", "ps", "-o", "pid,args"])
        #expect(ps.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("1 httpd") })
        // V1: ip netns list names it; ip netns exec and berth exec show the same interfaces.
        #expect(try await d.machineSh("ip netns list").stdout.contains(name))
        // The same addresses either way: IPv4 on eth0 and loopback's, and no IPv6 link-local address
        // on eth0 (berth's networks are IPv4 only; it would multicast to every container at each start).
        let viaIp = try await d.machineSh("ip netns exec \(name) busybox ip -o addr").stdout.trimmed
        let viaBerth = try await d.ok(["exec", name, "ip", "-o", "addr"])
        #expect(viaIp == viaBerth)
        #expect(viaBerth.contains("eth0    inet 172.17.") && !viaBerth.contains("eth0    inet6"), "\(viaBerth)")
        // Nor on the host's end of the veth (its index is eth0's iflink).
        let hostIndex = try await d.ok(["exec", name, "cat", "/sys/class/net/eth0/iflink"])
        #expect(Int(hostIndex) != nil)
        let hostLinkLocal = try await d.machineSh("ip -o -6 addr show | awk -F': ' '$1 == \(hostIndex)'").stdout
        #expect(hostLinkLocal.trimmed.isEmpty, "\(hostLinkLocal)")
        try await d.ok(["rm", "-f", name])
        #expect(!(try await d.machineSh("ip netns list").stdout.contains(name)))
        #expect(!FileSystem.exists("/run/netns/\(name)"))
    }
}

/// U2–U4 with real containers: names resolve through 127.0.0.11 on user-defined networks only.
@Suite("container DNS end to end (privileged)", .serialized) struct ContainerDNSTests {
    @Test func namesResolveOnUserNetworksAndNetworksAreIsolated() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["network", "create", "appnet"])
        try await d.ok(["network", "create", "other"])
        try await d.ok(["run", "-d", "--name", "db", "--network", "appnet", "--network-alias", "database", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        let ip = try await d.inspect("db", "{{.NetworkSettings.Networks.appnet.IPAddress}}")
        #expect(ip.hasPrefix("172.18."))
        // U3: the container's resolver is the embedded one.
        let resolv = try await d.ok(["run", "--rm", "--network", "appnet", "busybox", "cat", "/etc/resolv.conf"])
        #expect(resolv.contains("nameserver 127.0.0.11") && resolv.contains("ndots:0"))
        // U2: by name and by alias.
        let ping = try await d.ok(["run", "--rm", "--network", "appnet", "busybox", "ping", "-c1", "-W2", "db"])
        #expect(ping.contains(ip))
        let lookup = try await d.ok(["run", "--rm", "--network", "appnet", "busybox", "nslookup", "database"])
        #expect(lookup.contains("127.0.0.11") && lookup.contains(ip))
        #expect(try await d.ok(["run", "--rm", "--network", "appnet", "busybox", "wget", "-qO-", "http://db/hostname"]).count == 12)
        // U4: another network cannot reach it, by name or by address.
        #expect(try await d.cli(["run", "--rm", "--network", "other", "busybox", "ping", "-c1", "-W1", "db"]).status != 0)
        #expect(try await d.cli(["run", "--rm", "--network", "other", "busybox", "ping", "-c1", "-W1", ip]).status != 0)
        // The mechanism of seed 003, in the container's own namespace: the DNAT/SNAT pair and the
        // resolver's two sockets on 127.0.0.11.
        let sandbox = try await d.inspect("db", "{{.NetworkSettings.SandboxKey}}")
        let rules = try await NetworkNamespace(path: sandbox).run { try Subprocess.run(["nft", "list", "ruleset"]) }.stdout
        #expect(rules.contains("127.0.0.11") && rules.contains("dnat") && rules.contains("snat"), "\(rules)")
        let sockets = try await d.ok(["exec", "db", "netstat", "-lntu"])
        #expect(sockets.split(separator: "\n").filter { $0.contains("127.0.0.11:") }.count == 2, "\(sockets)")
        // berth dns shows what the resolver answers.
        let report = try await d.ok(["dns", "db"])
        #expect(report.contains("127.0.0.11") && report.contains("database") && report.contains(ip))
        // After disconnect the name stops resolving at once (a second container stays to ask).
        try await d.ok(["run", "-d", "--name", "asker", "--network", "appnet", "busybox", "sleep", "60"])
        #expect(try await d.ok(["exec", "asker", "nslookup", "db"]).contains(ip))
        try await d.ok(["network", "disconnect", "appnet", "db"])
        #expect(try await d.cli(["exec", "asker", "nslookup", "db"]).status != 0)
        try await d.ok(["rm", "-f", "db", "asker"])
        try await d.ok(["network", "rm", "appnet", "other"])
    }
}
