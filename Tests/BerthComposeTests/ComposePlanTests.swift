import BerthAPI
import BerthCore
import Foundation
import Testing

@testable import BerthCompose

/// The planner: what `berth compose up` asks berthd to create, and the hash that makes `up` idempotent.
@Suite struct ComposePlanTests {
    func project(_ yaml: String, name: String = "p", env: [String: String] = [:], files: [String: String] = [:]) throws
        -> ComposeProject
    {
        let dir = NSTemporaryDirectory() + "berth-plan-" + String(Identifier.random().prefix(8))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try yaml.write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        for (n, t) in files { try t.write(toFile: dir + "/" + n, atomically: true, encoding: .utf8) }
        return try ComposeLoader.load(files: [], directory: dir, projectName: name, environment: env)
    }

    static let seedLike = """
        services:
          server:
            image: busybox
            command: httpd -f -p 8123 -h /etc
            network_mode: host
          remote-control:
            image: busybox
            command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
            ports: ["8000:80"]
            deploy: {resources: {limits: {memory: 50M, cpus: "0.5"}}}
            restart: on-failure:3
          python:
            image: busybox
            command: sleep infinity
            ports: ["127.0.0.1:8001:80/tcp"]
            expose: ["9000"]
            hostname: snake
            extra_hosts: ["gw:host-gateway", "other=10.0.0.1"]
            dns: 10.0.0.53
            dns_search: [example.test]
            cap_add: [NET_ADMIN]
            cap_drop: [MKNOD]
            pids_limit: 64
            labels: {team: a}
            working_dir: /tmp
            user: nobody
            tty: true
            stdin_open: true
            environment: [A=1, FROM_HOST]
            env_file: vars.env
            entrypoint: ""
        """

    @Test func createRequestsCarryEveryServiceKey() throws {
        let p = try project(Self.seedLike, name: "seed", env: ["FROM_HOST": "yes"], files: ["vars.env": "A=0\nB=2\n"])
        let server = p.containerCreateRequest(try #require(p.services.first { $0.name == "server" }))
        #expect(server.HostConfig?.NetworkMode == "host")
        #expect(server.NetworkingConfig == nil)
        #expect(server.Cmd?.values == ["httpd", "-f", "-p", "8123", "-h", "/etc"])
        let rc = p.containerCreateRequest(try #require(p.services.first { $0.name == "remote-control" }))
        #expect(rc.HostConfig?.Memory == 52_428_800)
        #expect(rc.HostConfig?.NanoCpus == 500_000_000)
        #expect(rc.HostConfig?.NetworkMode == "seed_default")
        #expect(rc.HostConfig?.RestartPolicy == RestartPolicy(Name: "on-failure", MaximumRetryCount: 3))
        #expect(rc.HostConfig?.PortBindings?["80/tcp"] == .some([PortBindingJSON(HostIp: "", HostPort: "8000")]))
        #expect(rc.NetworkingConfig?.EndpointsConfig?["seed_default"]?.Aliases == ["remote-control"])
        #expect(rc.Labels?[ComposeLabel.project] == "seed")
        #expect(rc.Labels?[ComposeLabel.service] == "remote-control")
        #expect(rc.Labels?[ComposeLabel.configHash]?.count == 16)
        let py = p.containerCreateRequest(try #require(p.services.first { $0.name == "python" }))
        #expect(py.Cmd?.values == ["sleep", "infinity"])
        #expect(py.Entrypoint?.values == [""])
        #expect(py.Env == ["A=1", "B=2", "FROM_HOST=yes"])  // environment wins over env_file; bare keys from the host
        #expect(
            py.HostConfig?.PortBindings?["80/tcp"] == .some([PortBindingJSON(HostIp: "127.0.0.1", HostPort: "8001")]))
        #expect(py.ExposedPorts?.keys.sorted() == ["80/tcp", "9000/tcp"])
        #expect(py.Hostname == "snake")
        #expect(py.HostConfig?.ExtraHosts == ["gw:host-gateway", "other:10.0.0.1"])
        #expect(py.HostConfig?.Dns == ["10.0.0.53"])
        #expect(py.HostConfig?.DnsSearch == ["example.test"])
        #expect(py.HostConfig?.CapAdd == ["NET_ADMIN"])
        #expect(py.HostConfig?.CapDrop == ["MKNOD"])
        #expect(py.HostConfig?.PidsLimit == 64)
        #expect(py.Labels?["team"] == "a")
        #expect(py.WorkingDir == "/tmp")
        #expect(py.User == "nobody")
        #expect(py.Tty == true && py.OpenStdin == true)
        #expect(p.services.first { $0.name == "server" }?.containerName(project: p.name) == "seed-server-1")
    }

    @Test func configHashIsStableAndFollowsChanges() throws {
        let a = try project(Self.seedLike, name: "seed", files: ["vars.env": ""])
        let b = try project(Self.seedLike, name: "seed", files: ["vars.env": ""])
        func hashes(_ p: ComposeProject) -> [String] {
            p.services.map { p.containerCreateRequest($0).Labels?[ComposeLabel.configHash] ?? "" }
        }
        // Same file, two loads (dictionaries iterate in a different order each process): same hashes.
        #expect(hashes(a) == hashes(b))
        #expect(Set(hashes(a)).count == 3)
        let changed = try project(
            Self.seedLike.replacingOccurrences(of: "50M", with: "60M"), name: "seed", files: ["vars.env": ""])
        let (ha, hc) = (hashes(a), hashes(changed))
        #expect(ha[0] == hc[0] && ha[2] == hc[2])  // only remote-control changed
        #expect(ha[1] != hc[1])
        #expect(ComposeProject.configHash(a.containerCreateRequest(a.services[1])) == ha[1])
    }

    @Test func networksServiceModeAndSelection() throws {
        let p = try project(
            """
            services:
              db: {image: busybox, networks: {back: {aliases: [store], ipv4_address: 10.9.0.5}, front: {}}}
              side: {image: busybox, network_mode: "service:db"}
              web: {image: busybox, depends_on: [db]}
            networks:
              back: {internal: true, ipam: {config: [{subnet: 10.9.0.0/24, gateway: 10.9.0.254}]}}
              front: {name: shared-front}
            """)
        let back = try #require(p.network("back"))
        let req = p.networkCreateRequest(back)
        #expect(req.name == "p_back")
        #expect(req.internal == true)
        #expect(req.ipam?.config == [IPAMConfig(subnet: "10.9.0.0/24", gateway: "10.9.0.254")])
        #expect(req.labels?[ComposeLabel.project] == "p" && req.labels?[ComposeLabel.network] == "back")
        #expect(p.networkCreateRequest(try #require(p.network("front"))).name == "shared-front")
        let db = p.containerCreateRequest(try #require(p.services.first { $0.name == "db" }))
        #expect(db.NetworkingConfig?.EndpointsConfig?["p_back"]?.Aliases == ["db", "store"])
        #expect(db.NetworkingConfig?.EndpointsConfig?["p_back"]?.IPAMConfig?.IPv4Address == "10.9.0.5")
        #expect(db.NetworkingConfig?.EndpointsConfig?["shared-front"] != nil)
        let side = p.containerCreateRequest(try #require(p.services.first { $0.name == "side" }))
        #expect(side.HostConfig?.NetworkMode == "container:p-db-1")
        // side shares db's namespace, so it starts after db; selecting side brings db.
        #expect(p.services.firstIndex { $0.name == "db" }! < p.services.firstIndex { $0.name == "side" }!)
        #expect(try p.selecting(["side"]).map(\.name) == ["db", "side"])
        #expect(try p.selecting(["web"]).map(\.name).sorted() == ["db", "web"])
        #expect(throws: BerthError.self) { try p.selecting(["nope"]) }
        // Only default-network users make <project>_default.
        #expect(!p.networks.contains { $0.key == "default" } == false)
    }

    @Test func invalidValuesAreErrorsWithServiceKeyAndLine() throws {
        func message(_ yaml: String) -> String {
            do {
                _ = try project(yaml)
                return "no error"
            } catch { return "\(error)" }
        }
        let svc = message("services:\n  a:\n    image: busybox\n    network_mode: \"service:ghost\"\n")
        #expect(svc.contains("compose.yaml:4") && svc.contains("service a, key network_mode") && svc.contains("ghost"))
        let ip = message(
            "services:\n  a:\n    image: busybox\n    networks:\n      n: {ipv4_address: 10.0.0.300}\nnetworks:\n  n: {}\n"
        )
        #expect(ip.contains("ipv4_address") && ip.contains("10.0.0.300"))
        let restart = message("services:\n  a:\n    image: busybox\n    restart: on-failure:many\n")
        #expect(restart.contains("compose.yaml:4") && restart.contains("restart"))
        let hosts = message("services:\n  a:\n    image: busybox\n    extra_hosts: [nocolon]\n")
        #expect(hosts.contains("compose.yaml:4") && hosts.contains("extra_hosts"))
        let envFile = message("services:\n  a:\n    image: busybox\n    env_file: missing.env\n")
        #expect(envFile.contains("compose.yaml:4") && envFile.contains("env_file") && envFile.contains("missing.env"))
        let quotes = message("services:\n  a:\n    image: busybox\n    command: echo \"open\n")
        #expect(quotes.contains("command"))
    }

    @Test func shellWordsSplitLikeCompose() {
        #expect(ComposeLoader.shellWords(#"sh -c "echo a b" 'c d' e\ f"#) == ["sh", "-c", "echo a b", "c d", "e f"])
        #expect(ComposeLoader.shellWords("  sleep   infinity ") == ["sleep", "infinity"])
        #expect(ComposeLoader.shellWords(#"x "" y"#) == ["x", "", "y"])
        #expect(ComposeLoader.shellWords(#"unterminated "q"#) == nil)
    }

    @Test func renderedConfigReadsBackTheSame() throws {
        let p = try project(Self.seedLike, name: "seed", env: ["FROM_HOST": "yes"], files: ["vars.env": "B=2\n"])
        let yaml = try p.renderYAML()
        #expect(yaml.contains("name: seed"))
        let again = try project(yaml, name: "seed")
        #expect(again.services.map(\.name).sorted() == p.services.map(\.name).sorted())
        for x in p.services {
            let y = try #require(again.services.first { $0.name == x.name })
            #expect(
                p.containerCreateRequest(x).Labels?[ComposeLabel.configHash]
                    == again.containerCreateRequest(y).Labels?[ComposeLabel.configHash], "\(x.name)")
        }
    }
}
