import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tier 3: `berth compose` on a project shaped like seed 002's (U5, U6, N4), and restart policies.
@Suite("compose end to end (privileged)", .serialized) struct ComposeTests {
    /// Seed 002's PRD.docker-compose.yaml with busybox in place of its images: a host-network HTTP
    /// server, `remote-control` publishing 8000:80 with a 50M limit, a sleeper publishing 8001:80.
    static let seed = """
        version: "3.6"
        services:
          server:
            image: busybox
            command: httpd -f -p ${SERVER_PORT:-18123} -h /etc
            environment:
              - CONF_PLAYER_NAME=Denon AVR-X2700H
            network_mode: host
          remote-control:
            image: busybox
            command: ["sh", "-c", "echo hello-from-rc; exec httpd -f -p 80 -h /etc"]
            ports:
              - 8000:80
            deploy:
              resources:
                limits:
                  memory: 50M
          python:
            image: busybox
            command: sleep infinity
            ports:
              - 8001:80
            depends_on: [remote-control]
        """

    func write(_ d: Daemon, _ name: String, _ text: String) throws -> String {
        let dir = d.host.directory + "/project"
        try FileSystem.makeDirectories(dir)
        try FileSystem.writeFile(dir + "/" + name, Array(text.utf8))
        return dir + "/" + name
    }

    func compose(_ d: Daemon, _ file: String, _ args: [String]) async throws -> SubprocessResult {
        try await d.cli(["compose", "-f", file, "-p", "seed"] + args)
    }

    /// Bridges, host veths, rules, netns pins, mounts, cgroups, monitors, container dirs: all of it.
    func snapshot(_ d: Daemon, ids: [String] = []) async throws -> String {
        let bridges = try await d.hostSh("ip -o link show type bridge | awk '{print $2}' | sort").stdout
        return try await d.leftovers(ids: ids) + "\n--\n" + bridges + (try await d.ok(["network", "ls", "-q"]))
    }

    @Test func seedProjectUpChecksIdempotenceAndDown() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let before = try await snapshot(d)
        let file = try write(d, "docker-compose.yml", Self.seed)
        let up = try await compose(d, file, ["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("Network seed_default  Created"))
        // Names and labels as docker compose makes them.
        let names = try await d.ok(["ps", "--format", "{{.Names}}"]).split(separator: "\n").sorted()
        #expect(names == ["seed-python-1", "seed-remote-control-1", "seed-server-1"])
        #expect(
            try await d.inspect(
                "seed-remote-control-1",
                #"{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}}"#
            ) == "seed remote-control")
        let ps = try await compose(d, file, ["ps"])
        #expect(
            ps.stdout.contains("seed-python-1") && ps.stdout.contains("remote-control")
                && ps.stdout.contains("0.0.0.0:8000->80/tcp"))
        // curl localhost:8000 from the host answers.
        let fromHost = try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8000/hostname")
        #expect(fromHost.succeeded && fromHost.stdout.trimmed.count == 12, "\(fromHost.stderr)")
        // From the sleeper: remote-control:80 answers (by service and by container name), :8000 is refused.
        #expect(
            try await d.ok([
                "exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://remote-control:80/hostname",
            ]).count == 12)
        #expect(
            try await d.ok([
                "exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://seed-remote-control-1/hostname",
            ]).count == 12)
        let published = try await d.cli([
            "exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://remote-control:8000/",
        ])
        #expect(published.status != 0 && published.stderr.contains("refused"), "\(published.stderr)")
        // The host-network server: not resolvable by name, not at the sleeper's 127.0.0.1, but at the
        // project network's gateway (the host's address on the bridge).
        #expect(try await d.cli(["exec", "seed-python-1", "nslookup", "server"]).status != 0)
        let dnsNames = try await d.ok(["dns", "seed-python-1"]).split(whereSeparator: {
            $0 == " " || $0 == "\n" || $0 == "\t"
        })
        #expect(dnsNames.contains("remote-control") && !dnsNames.contains("server"), "\(dnsNames)")
        let loopback = try await d.cli([
            "exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://127.0.0.1:18123/hostname",
        ])
        #expect(loopback.status != 0)
        let gateway = try await d.ok([
            "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "seed_default",
        ])
        #expect(!gateway.isEmpty)
        let viaGateway = try await d.cli([
            "exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://\(gateway):18123/hostname",
        ])
        #expect(viaGateway.status == 0, "\(viaGateway.stderr)")
        // N4: 50M is 52428800 in remote-control's memory cgroup.
        let rcID = try await d.inspect("seed-remote-control-1", "{{.Id}}")
        #expect(
            try FileSystem.readText("/sys/fs/cgroup/memory/berth/\(rcID)/memory.limit_in_bytes").trimmed == "52428800")
        // network inspect lists the two bridged containers and not the host-mode one.
        let members = try await d.ok([
            "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "seed_default",
        ])
        #expect(members.split(separator: " ").sorted() == ["seed-python-1", "seed-remote-control-1"])
        // up again: nothing changes.
        let ids = try await d.ok(["ps", "-q", "--no-trunc"]).split(separator: "\n").sorted()
        let again = try await compose(d, file, ["up", "-d"])
        #expect(
            again.status == 0 && !again.stderr.contains("Created") && !again.stderr.contains("Recreate"),
            "\(again.stderr)")
        #expect(try await d.ok(["ps", "-q", "--no-trunc"]).split(separator: "\n").sorted() == ids)
        // A changed service (a new memory limit) is recreated; the others stay as they are.
        let pythonID = try await d.inspect("seed-python-1", "{{.Id}}")
        _ = try write(d, "docker-compose.yml", Self.seed.replacingOccurrences(of: "memory: 50M", with: "memory: 60M"))
        let changed = try await compose(d, file, ["up", "-d", "-t", "1"])
        #expect(changed.status == 0 && changed.stderr.contains("seed-remote-control-1  Recreate"), "\(changed.stderr)")
        let newRC = try await d.inspect("seed-remote-control-1", "{{.Id}}")
        #expect(newRC != rcID)
        #expect(
            try FileSystem.readText("/sys/fs/cgroup/memory/berth/\(newRC)/memory.limit_in_bytes").trimmed == "62914560")
        #expect(try await d.inspect("seed-python-1", "{{.Id}}") == pythonID)
        #expect(
            try await d.ok(["exec", "seed-python-1", "sh", "-c", "timeout 5 wget -qO- http://remote-control/hostname"])
                .count == 12)
        // logs, exec, stop/start through compose.
        #expect(try await compose(d, file, ["exec", "python", "sh", "-c", "exit 4"]).status == 4)
        #expect(
            try await compose(d, file, ["exec", "python", "hostname"]).stdout.trimmed == String(pythonID.prefix(12)))
        let logs = try await compose(d, file, ["logs", "remote-control"])
        #expect(logs.stdout.contains("remote-control-1  | hello-from-rc"), "\(logs.stdout)")
        #expect(try await compose(d, file, ["stop", "-t", "1", "python"]).status == 0)
        #expect(try await d.inspect("seed-python-1", "{{.State.Status}}") == "exited")
        #expect(try await compose(d, file, ["start"]).status == 0)
        #expect(try await d.inspect("seed-python-1", "{{.State.Status}}") == "running")
        // Something not of the project survives down.
        try await d.ok(["network", "create", "bystander"])
        try await d.ok(["run", "-d", "--name", "outsider", "busybox", "sleep", "60"])
        let down = try await compose(d, file, ["down", "-t", "1"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try await d.ok(["ps", "-a", "--format", "{{.Names}}"]) == "outsider")
        try await d.ok(["rm", "-f", "outsider"])
        try await d.ok(["network", "rm", "bystander"])
        // down leaves no container, network, rule, veth, bridge, namespace, cgroup or monitor.
        #expect(try await snapshot(d, ids: [rcID, newRC, pythonID]) == before)
    }

    /// Declared networks (ipam, internal, aliases, a fixed address), service:X, env_file, extra_hosts
    /// with host-gateway and restart, as berthd receives them.
    @Test func declaredNetworksSharedNamespacesAndServiceKeys() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let before = try await snapshot(d)
        _ = try write(d, "app.env", "FROM_FILE=yes\nGREETING=overridden\n")
        let file = try write(
            d, "compose.yaml",
            """
            name: shop
            services:
              db:
                image: busybox
                command: httpd -f -p 80 -h /etc
                networks:
                  back: {aliases: [store], ipv4_address: 10.77.0.10}
                restart: on-failure:1
              side:
                image: busybox
                command: sleep 300
                network_mode: service:db
              web:
                image: busybox
                command: sleep 300
                env_file: app.env
                environment: {GREETING: hello}
                extra_hosts: ["gw:host-gateway"]
                networks: [back, front]
            networks:
              back:
                internal: true
                ipam: {config: [{subnet: 10.77.0.0/24, gateway: 10.77.0.254}]}
              front: {}
            """)
        let up = try await d.cli(["compose", "-f", file, "up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(
            try await d.ok([
                "network", "inspect", "-f", "{{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}",
                "shop_back",
            ]) == "true 10.77.0.0/24 10.77.0.254")
        #expect(try await d.inspect("shop-db-1", "{{.NetworkSettings.Networks.shop_back.IPAddress}}") == "10.77.0.10")
        #expect(try await d.inspect("shop-db-1", "{{.HostConfig.RestartPolicy.Name}}") == "on-failure")
        // The alias and the service name resolve; side answers from db's namespace.
        #expect(try await d.ok(["exec", "shop-web-1", "nslookup", "store"]).contains("10.77.0.10"))
        #expect(
            try await d.ok(["exec", "shop-web-1", "sh", "-c", "timeout 5 wget -qO- http://db/hostname"]).count == 12)
        #expect(try await d.ok(["exec", "shop-side-1", "ip", "-o", "-4", "addr"]).contains("10.77.0.10"))
        // environment wins over env_file; host-gateway is the first network's gateway.
        #expect(try await d.ok(["exec", "shop-web-1", "sh", "-c", "echo $FROM_FILE $GREETING"]) == "yes hello")
        #expect(try await d.ok(["exec", "shop-web-1", "grep", "gw", "/etc/hosts"]).contains("10.77.0.254"))
        let ps = try await d.cli(["compose", "-f", file, "ps", "--services"])
        #expect(ps.stdout == "db\nside\nweb\n")
        #expect(try await d.cli(["compose", "-f", file, "down", "-t", "1"]).status == 0)
        #expect(try await snapshot(d) == before)
    }

    @Test func invalidFilesCreateNothing() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let before = try await snapshot(d)
        // Errors the file alone shows: exit 15 naming file:line, service and key.
        let cases: [(String, String)] = [
            ("services:\n  web:\n    image: busybox\n    ports: [\"8000:80\", \"70000:80\"]\n", "key ports"),
            ("services:\n  web:\n    image: busybox\n    networks: [nowhere]\n", "nowhere"),
            ("services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n", "cycle"),
            ("services:\n  a:\n    image: busybox\n    network_mode: service:ghost\n", "key network_mode"),
        ]
        for (yaml, what) in cases {
            let file = try write(d, "compose.yaml", yaml)
            let r = try await compose(d, file, ["up", "-d"])
            #expect(r.status == 15, "\(yaml) → \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("compose.yaml:") && r.stderr.contains(what), "\(r.stderr)")
        }
        // Errors only berthd can show (an image it lacks, a missing external network): found before
        // anything is made, exit 1.
        let file = try write(
            d, "compose.yaml",
            """
            services:
              ok: {image: busybox, command: sleep 60}
              missing: {image: nosuchimage}
              ext: {image: busybox, networks: [outside]}
            networks:
              outside: {external: true}
            """)
        let r = try await compose(d, file, ["up", "-d"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nosuchimage") && r.stderr.contains("outside"), "\(r.stderr)")
        // No file at all: 14.
        #expect(try await d.cli(["compose", "--project-directory", d.host.directory, "up", "-d"]).status == 14)
        // Unknown keys are warnings with the line, and up goes on.
        let warned = try write(
            d, "compose.yaml", "services:\n  web:\n    image: busybox\n    command: sleep 60\n    colour: blue\n")
        let w = try await compose(d, warned, ["config", "-q"])
        #expect(w.status == 0 && w.stderr.contains("compose.yaml:5") && w.stderr.contains("colour"))
        #expect(try await snapshot(d) == before)
    }

    /// `up` without -d: the services' output prefixed `service-1  | `; Ctrl-C stops them.
    @Test func upAttachedPrefixesOutputAndStopsOnInterrupt() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let file = try write(
            d, "compose.yaml",
            """
            services:
              talker:
                image: busybox
                command: sh -c 'trap "exit 0" TERM; echo hello from talker; while true; do sleep 0.2; done'
            """)
        let out = d.host.directory + "/up.out"
        let env = d.environment.map { "'\($0)'" }.joined(separator: " ")
        let pid = try d.host.spawnBackground(
            "exec env \(env) BERTH_NO_AUTOSTART=1 \(Daemon.berth) compose -f \(file) -p att up >\(out) 2>&1")
        var text = ""
        for _ in 0..<100 {
            text = (try? FileSystem.readText(out)) ?? ""
            if text.contains("talker-1  | hello from talker") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(text.contains("talker-1  | hello from talker"), "\(text)")
        kill(pid, SIGINT)
        let status: Int32 = try await DedicatedThread.run {
            var s: Int32 = 0
            for _ in 0..<300 {
                if waitpid(pid, &s, WNOHANG) == pid { return s }
                usleep(50_000)
            }
            kill(pid, SIGKILL)
            waitpid(pid, &s, 0)
            return -1
        }
        #expect(status != -1 && (status >> 8) & 0xff == 130, "\(status) \((try? FileSystem.readText(out)) ?? "")")
        #expect(try await d.inspect("att-talker-1", "{{.State.Status}}") == "exited")
        #expect(try await d.cli(["compose", "-f", file, "-p", "att", "down"]).status == 0)
    }

    /// on-failure:2 restarts a failing container twice; always survives a berthd restart (and a death
    /// while berthd was away); stop disarms the policy until the next start.
    @Test func restartPolicies() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        #expect(
            try await d.cli(["run", "-d", "--restart", "sometimes", "busybox", "true"]).stderr.contains(
                "invalid restart policy"))
        try await d.ok([
            "run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1",
        ])
        var seen = ""
        for _ in 0..<100 {
            seen = try await d.inspect("flaky", "{{.RestartCount}} {{.State.Status}}")
            if seen == "2 exited" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen == "2 exited")
        try await Task.sleep(for: .seconds(1))
        let settledState = try await d.inspect("flaky", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}")
        #expect(settledState == "2 exited 1", "\(settledState)")
        let flakyLogs = try await d.ok(["logs", "flaky"])
        #expect(flakyLogs == "run\nrun\nrun", "\(flakyLogs)")
        #expect(
            try await d.inspect(
                "flaky", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}")
                == "on-failure:2")
        // always: the process dies → restarted.
        try await d.ok(["run", "-d", "--name", "steady", "--restart", "always", "busybox", "sleep", "300"])
        let pid1 = Int32(try await d.inspect("steady", "{{.State.Pid}}")) ?? 0
        kill(pid1, SIGKILL)
        var state = ""
        for _ in 0..<100 {
            state = try await d.inspect("steady", "{{.State.Running}} {{.RestartCount}}")
            if state == "true 1" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "true 1")
        // It dies while berthd is away: the next berthd restarts it.
        let pid2 = Int32(try await d.inspect("steady", "{{.State.Pid}}")) ?? 0
        d.stop()
        kill(pid2, SIGKILL)
        try await Task.sleep(for: .milliseconds(500))
        try await d.startOffPool()
        for _ in 0..<100 {
            state = try await d.inspect("steady", "{{.State.Running}} {{.RestartCount}}")
            if state == "true 2" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "true 2")
        // stop disarms it; unless-stopped, stopped by the user, stays stopped across a berthd restart,
        // while always starts again (Docker's rule).
        try await d.ok(["run", "-d", "--name", "polite", "--restart", "unless-stopped", "busybox", "sleep", "300"])
        try await d.ok(["stop", "-t", "1", "steady", "polite"])
        try await Task.sleep(for: .seconds(1))
        #expect(try await d.inspect("steady", "{{.State.Status}}") == "exited")
        #expect(try await d.inspect("polite", "{{.State.Status}}") == "exited")
        d.stop()
        try await d.startOffPool()
        #expect(try await d.inspect("steady", "{{.State.Status}}") == "running")
        #expect(try await d.inspect("polite", "{{.State.Status}}") == "exited")
        try await d.ok(["rm", "-f", "flaky", "steady", "polite"])
    }
}
