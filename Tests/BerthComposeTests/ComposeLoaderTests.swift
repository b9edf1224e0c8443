import BerthCore
import Foundation
import Testing

@testable import BerthCompose

@Suite struct ComposeLoaderTests {
    /// Writes `files` into a fresh directory and loads them.
    func load(_ files: [String: String], use: [String] = [], project: String? = nil, env: [String: String] = [:]) throws
        -> ComposeProject
    {
        let dir = NSTemporaryDirectory() + "berth-compose-" + String(Identifier.random().prefix(8))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return try ComposeLoader.load(files: use, directory: dir, projectName: project, environment: env)
    }

    /// Seed 002's PRD.docker-compose.yaml, as it was written.
    static let seed = """
        version: "3.6"
        services:
          server:
            image: scoulomb/heos-api-server:1.0.0
            environment:
              - CONF_PLAYER_NAME=Denon AVR-X2700H
              - CONF_USER=fake@gmail.com
            network_mode: host
          remote-control:
            image: scoulomb/heos-remote-control:1.0.0
            ports:
              - 8000:80
            deploy:
              resources:
                limits:
                  memory: 50M
                reservations:
                  memory: 50M
          python:
            image: python
            command: sleep infinity
            ports:
              - 8001:80
        """

    @Test func seedProject() throws {
        let p = try load(["docker-compose.yml": Self.seed], project: "remote-control")
        #expect(p.name == "remote-control")
        #expect(p.defaultNetworkName == "remote-control_default")
        #expect(p.networks.map(\.name) == ["remote-control_default"])
        let server = try #require(p.services.first { $0.name == "server" })
        #expect(server.networkMode == .host)
        #expect(server.networks.isEmpty)  // a host-mode service joins no network
        #expect(server.environment["CONF_PLAYER_NAME"] == "Denon AVR-X2700H")
        let rc = try #require(p.services.first { $0.name == "remote-control" })
        #expect(rc.memoryLimit == 52_428_800)  // N4: 50M
        #expect(rc.ports == [ComposePort(hostIP: nil, published: 8000, target: 80, proto: "tcp")])
        #expect(rc.networks.map(\.name) == ["default"])
        #expect(rc.containerName(project: p.name) == "remote-control-remote-control-1")
        let py = try #require(p.services.first { $0.name == "python" })
        #expect(py.command == ["sleep", "infinity"])  // split like a shell, as Compose does
        #expect(p.warnings.isEmpty)
    }

    @Test func interpolationAndDotEnv() throws {
        let p = try load(
            [
                "compose.yaml": """
                    services:
                      web:
                        image: "busybox:${TAG:-latest}"
                        environment: { GREETING: "hi $USERNAME", PRICE: "$$5" }
                        ports: ["${PORT}:80"]
                    """,
                ".env": "PORT=8080\nUSERNAME=envfile\n",
            ], env: ["USERNAME": "process"])
        let web = try #require(p.services.first)
        #expect(web.image == "busybox:latest")
        #expect(web.environment["GREETING"] == "hi process")  // the process environment wins over .env
        #expect(web.environment["PRICE"] == "$5")
        #expect(web.ports.first?.published == 8080)
        #expect(throws: BerthError.self) {
            try load(["compose.yaml": "services:\n  web:\n    image: ${IMAGE:?set IMAGE}\n"])
        }
    }

    @Test func envFileOptionReplacesDotEnv() throws {
        let dir = NSTemporaryDirectory() + "berth-envfile-" + String(Identifier.random().prefix(8))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "services:\n  web: {image: \"busybox:${TAG:-latest}\"}\n".write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        try "TAG=fromdotenv\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        try "TAG=fromother\n".write(toFile: dir + "/other.env", atomically: true, encoding: .utf8)
        let p = try ComposeLoader.load(files: [], directory: dir, projectName: nil, environment: [:], envFiles: [dir + "/other.env"])
        #expect(p.services.first?.image == "busybox:fromother")
        #expect(try ComposeLoader.load(files: [], directory: dir, projectName: nil, environment: [:]).services.first?.image == "busybox:fromdotenv")
        #expect(throws: BerthError.self) {
            try ComposeLoader.load(files: [], directory: dir, projectName: nil, environment: [:], envFiles: [dir + "/none.env"])
        }
    }

    @Test func filesMergeInOrder() throws {
        let p = try load(
            [
                "base.yml": "services:\n  web:\n    image: busybox\n    environment: {A: one, B: two}\n",
                "override.yml": "services:\n  web:\n    environment: {B: three}\n    hostname: web1\n",
            ], use: ["base.yml", "override.yml"], project: "m")
        let web = try #require(p.services.first)
        #expect(web.environment == ["A": "one", "B": "three"])
        #expect(web.hostname == "web1")
    }

    @Test func mergeFollowsComposeRulesPerKey() throws {
        let p = try load(
            [
                "base.yml": """
                    services:
                      web:
                        image: busybox
                        command: sleep 1
                        environment: [A=one, B=two]
                        labels: {x: "1"}
                        ports: ["8000:80"]
                        dns: [10.0.0.1]
                        networks: [front]
                        extra_hosts: ["a:10.0.0.1"]
                    networks: {front: {}, back: {}}
                    """,
                "override.yml": """
                    services:
                      web:
                        command: [sleep, "2"]
                        environment: {B: three, C: four}
                        labels: [y=2]
                        ports: ["8000:80", "9000:90"]
                        dns: [10.0.0.2]
                        networks: {back: {aliases: [api]}}
                        extra_hosts: {b: 10.0.0.2}
                    """,
            ], use: ["base.yml", "override.yml"], project: "m")
        let web = try #require(p.services.first)
        #expect(web.command == ["sleep", "2"])  // replaced
        #expect(web.environment == ["A": "one", "B": "three", "C": "four"])  // list + map merged
        #expect(web.labels == ["x": "1", "y": "2"])
        #expect(web.ports.map(\.published) == [8000, 9000])  // appended, no repeat
        #expect(web.dns == ["10.0.0.1", "10.0.0.2"])
        #expect(web.networks.map(\.name) == ["front", "back"])
        #expect(web.networks[1].aliases == ["api"])
        #expect(web.extraHosts == ["a:10.0.0.1", "b:10.0.0.2"])
    }

    @Test func portsShortAndLongSyntax() throws {
        let p = try load([
            "compose.yaml": """
                services:
                  web:
                    image: busybox
                    ports:
                      - "127.0.0.1:8000-8001:80-81/udp"
                      - "90"
                      - target: 443
                        published: 8443
                        host_ip: 0.0.0.0
            """
        ])
        let ports = try #require(p.services.first).ports
        #expect(ports.count == 4)
        #expect(ports[0] == ComposePort(hostIP: "127.0.0.1", published: 8000, target: 80, proto: "udp"))
        #expect(ports[1] == ComposePort(hostIP: "127.0.0.1", published: 8001, target: 81, proto: "udp"))
        #expect(ports[2] == ComposePort(hostIP: nil, published: nil, target: 90, proto: "tcp"))
        #expect(ports[3].published == 8443)
    }

    @Test func dependsOnOrdersStartsAndRejectsCycles() throws {
        let p = try load([
            "compose.yaml": """
                services:
                  web: {image: busybox, depends_on: [db]}
                  db: {image: busybox, depends_on: {cache: {condition: service_started}}}
                  cache: {image: busybox}
            """
        ])
        #expect(p.services.map(\.name) == ["cache", "db", "web"])
        let healthy = try load([
            "compose.yaml": "services:\n  web: {image: busybox, depends_on: {db: {condition: service_healthy}}}\n  db: {image: busybox}\n"
        ])
        #expect(healthy.warnings.contains { $0.contains("compose.yaml:2") && $0.contains("service_healthy") })
        do {
            _ = try load(["compose.yaml": "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n"])
            Issue.record("a cycle must be refused")
        } catch let e as BerthError {
            #expect(e.message.contains("cycle"))
            #expect(e.message.contains("a → b → a") || e.message.contains("b → a → b"))
        }
    }

    @Test func badValuesNameServiceKeyAndLine() throws {
        func message(_ yaml: String) -> String {
            do {
                _ = try load(["compose.yaml": yaml])
                return "no error"
            } catch { return "\(error)" }
        }
        let badPort = message("services:\n  web:\n    image: busybox\n    ports: [\"99999:80\"]\n")
        #expect(badPort.contains("compose.yaml:4"))
        #expect(badPort.contains("service web, key ports"))
        #expect(badPort.contains("99999"))
        let badNet = message("services:\n  web:\n    image: busybox\n    networks: [nowhere]\n")
        #expect(badNet.contains("nowhere"))
        #expect(badNet.contains("not defined"))
        let badMem = message("services:\n  web:\n    image: busybox\n    mem_limit: lots\n")
        #expect(badMem.contains("mem_limit"))
        let badYAML = message("services:\n  web: [\n")
        #expect(badYAML.contains("invalid YAML"))
        #expect(message("services: {}\n").contains("no services"))
    }

    @Test func unknownKeysAreWarningsWithLines() throws {
        let p = try load(["compose.yaml": "services:\n  web:\n    image: busybox\n    colour: blue\nx-extra: fine\nbogus: 1\n"])
        #expect(p.warnings.contains { $0.contains("compose.yaml:4") && $0.contains("colour") })
        #expect(p.warnings.contains { $0.contains("bogus") })
        #expect(!p.warnings.contains { $0.contains("x-extra") })
    }

    @Test func namedNetworksAliasesAndExternal() throws {
        let p = try load([
            "compose.yaml": """
                name: Shop
                services:
                  api:
                    image: busybox
                    networks:
                      back: {aliases: [backend], ipv4_address: 10.5.0.10}
                networks:
                  back:
                    internal: true
                    ipam: {config: [{subnet: 10.5.0.0/24}]}
                  outside: {external: true}
            """
        ])
        #expect(p.name == "shop")
        #expect(p.networks.map(\.name) == ["shop_back", "outside"])
        #expect(p.networks[0].internal)
        #expect(p.networks[0].subnet == "10.5.0.0/24")
        let api = try #require(p.services.first)
        #expect(api.networks == [ComposeServiceNetwork(name: "back", aliases: ["backend"], ipv4Address: "10.5.0.10")])
    }
}
