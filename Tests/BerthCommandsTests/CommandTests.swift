import BerthAPI
import BerthCore
import Testing

@testable import BerthCommands

@Suite struct GoTemplateTests {
    let net = NetworkResource(
        name: "mynet", id: String(repeating: "a", count: 64), created: "2026-11-23T00:00:00Z", driver: "bridge",
        ipam: IPAM(config: [IPAMConfig(subnet: "172.18.0.0/16", gateway: "172.18.0.1")]), internal: true,
        attachable: false, containers: [:], options: ["com.docker.network.driver.mtu": "1400"], labels: ["team": "a"])

    @Test func fieldsRangeJsonJoin() throws {
        #expect(try GoTemplate("{{.Name}} {{.Driver}}").render(net) == "mynet bridge")
        #expect(try GoTemplate("{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}").render(net) == "172.18.0.0/16 via 172.18.0.1")
        #expect(try GoTemplate("{{.Internal}}").render(net) == "true")
        #expect(try GoTemplate("{{json .Labels}}").render(net) == #"{"team":"a"}"#)
        #expect(try GoTemplate("{{.Labels}}").render(net) == "map[team:a]")
        #expect(try GoTemplate("{{range .Options}}{{.}}{{end}}").render(net) == "1400")
    }

    @Test func functionsIndexLenIfPrintfAndParentheses() throws {
        #expect(try GoTemplate(#"{{index .Labels "team"}}"#).render(net) == "a")
        #expect(try GoTemplate(#"{{(index .IPAM.Config 0).Subnet}}"#).render(net) == "172.18.0.0/16")
        #expect(try GoTemplate("{{len .IPAM.Config}}").render(net) == "1")
        #expect(try GoTemplate("{{if .Internal}}internal{{else}}open{{end}}").render(net) == "internal")
        #expect(try GoTemplate(#"{{printf "%s/%s" .Name .Driver}}"#).render(net) == "\(net.name)/bridge")
        #expect(try GoTemplate("{{upper .Driver}}").render(net) == "BRIDGE")
    }

    @Test func malformedTemplatesAreClearErrors() {
        #expect(throws: BerthError.self) { try GoTemplate("{{.Name") }
        #expect(throws: BerthError.self) { try GoTemplate("{{range .X}}") }
        #expect(throws: BerthError.self) { try GoTemplate("{{end}}") }
        #expect(throws: BerthError.self) { try GoTemplate("{{html .Name}}") }
        #expect(throws: BerthError.self) { try GoTemplate("{{(index .Labels \"team\"}}") }
        #expect(throws: BerthError.self) { try GoTemplate("{{if .Internal}}x") }
        #expect(throws: BerthError.self) { try GoTemplate("{{.Nope}}").render(net) }
    }

    @Test func tableLikeDocker() {
        let out = TableWriter.render([["NETWORK ID", "NAME", "DRIVER", "SCOPE"], ["0123456789ab", "bridge", "bridge", "local"]])
        #expect(out == "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   bridge    bridge    local\n")
    }
}

@Suite struct ParsingTests {
    @Test func networkCreateFlags() throws {
        let parsed = try BerthCLI.parseAsRoot([
            "network", "create", "--subnet", "10.20.0.0/16", "--gateway", "10.20.0.254", "--ip-range", "10.20.1.0/24",
            "--internal", "-o", "com.docker.network.driver.mtu=1400", "--label", "team=a", "lab",
        ])
        let create = try #require(parsed as? NetworkCreate)
        #expect(create.name == "lab")
        #expect(create.subnet == "10.20.0.0/16")
        #expect(create.gateway == "10.20.0.254")
        #expect(create.ipRange == "10.20.1.0/24")
        #expect(create.internal)
        #expect(create.options == ["com.docker.network.driver.mtu=1400"])
    }

    @Test func invalidCombinationsAreRejectedBeforeAnyRequest() {
        #expect(throws: (any Error).self) { try BerthCLI.parseAsRoot(["network", "create", "--driver", "overlay", "x"]) }
        #expect(throws: (any Error).self) { try BerthCLI.parseAsRoot(["network", "create", "--gateway", "10.0.0.1", "x"]) }
        #expect(throws: (any Error).self) { try BerthCLI.parseAsRoot(["network", "rm"]) }
    }

    @Test func helpDescribesCommands() {
        let help = BerthCLI.helpMessage(for: NetworkCreate.self)
        #expect(help.contains("--subnet"))
        #expect(help.contains("--ip-range"))
        #expect(help.contains("com.docker.network.driver.mtu"))
        #expect(BerthCLI.helpMessage().contains("BERTH_NO_AUTOSTART"))
    }
}

@Suite struct TraceCommandTests {
    @Test func portSpecsAndOptionsParse() throws {
        #expect(try TraceCommand.parse("80") == (80, "tcp"))
        #expect(try TraceCommand.parse("53/udp") == (53, "udp"))
        #expect(throws: (any Error).self) { try TraceCommand.parse("0") }
        #expect(throws: (any Error).self) { try TraceCommand.parse("80/sctp") }
        #expect(throws: (any Error).self) { try BerthCLI.parseAsRoot(["trace", "web", "http"]) }
        let parsed = try BerthCLI.parseAsRoot(["trace", "web", "80/tcp", "--from", "client", "--format", "json"])
        let t = try #require(parsed as? TraceCommand)
        #expect(t.container == "web" && t.port == "80/tcp" && t.from == "client" && t.format == "json")
    }

    @Test func humanViewNumbersStepsAndNamesTheBreak() {
        let r = TraceReport(
            container: "web", from: "host", destination: "127.0.0.1:8080/tcp",
            steps: [
                TraceStep(step: "container", object: "container web", status: .ok, detail: "web is running"),
                TraceStep(step: "veth", object: "veth1234567", status: .broken, detail: "veth1234567 is down", fix: "ip link set veth1234567 up"),
            ])
        let text = TraceCommand.render(r)
        #expect(text.contains("  1 ✓ container"))
        #expect(text.contains("  2 ✗ veth"))
        #expect(text.contains("fix: ip link set veth1234567 up"))
        #expect(text.contains("broken at step 2 (veth): veth1234567 is down"))
    }
}

@Suite struct ComposeCommandTests {
    @Test func projectOptionsBeforeTheSubcommandMoveAfterIt() {
        #expect(
            ComposeCommand.hoistProjectOptions(["compose", "-f", "a.yml", "-p", "x", "up", "-d", "web"])
                == ["compose", "up", "--file", "a.yml", "--project-name", "x", "-d", "web"])
        #expect(
            ComposeCommand.hoistProjectOptions(["compose", "--file=a.yml", "exec", "web", "ls", "-f"])
                == ["compose", "exec", "--file=a.yml", "web", "ls", "-f"])
        #expect(ComposeCommand.hoistProjectOptions(["compose", "up", "-d"]) == ["compose", "up", "-d"])
        #expect(ComposeCommand.hoistProjectOptions(["run", "-p", "80:80", "busybox"]) == ["run", "-p", "80:80", "busybox"])
    }

    @Test func composeSubcommandsParse() throws {
        let up = try BerthCLI.parseAsRoot(ComposeCommand.hoistProjectOptions(["compose", "-p", "demo", "up", "-d", "web"]))
        let u = try #require(up as? ComposeUp)
        #expect(u.options.projectName == "demo" && u.detach && u.services == ["web"])
        let exec = try #require(try BerthCLI.parseAsRoot(["compose", "exec", "web", "sh", "-c", "exit 3"]) as? ComposeExec)
        #expect(exec.service == "web" && exec.command == ["sh", "-c", "exit 3"])
        #expect(try BerthCLI.parseAsRoot(["compose", "down", "-t", "1"]) is ComposeDown)
        // -f before logs is the file, after it --follow.
        let logs = try #require(
            try BerthCLI.parseAsRoot(ComposeCommand.hoistProjectOptions(["compose", "-f", "x.yml", "logs", "-f", "web"])) as? ComposeLogs)
        #expect(logs.options.file == ["x.yml"] && logs.follow && logs.services == ["web"])
    }

    @Test func restartPolicies() throws {
        #expect(try CreateOptions.restartPolicy("always") == RestartPolicy(Name: "always", MaximumRetryCount: 0))
        #expect(try CreateOptions.restartPolicy("on-failure:2") == RestartPolicy(Name: "on-failure", MaximumRetryCount: 2))
        #expect(throws: BerthError.self) { try CreateOptions.restartPolicy("sometimes") }
        #expect(throws: BerthError.self) { try CreateOptions.restartPolicy("always:3") }
        #expect(throws: BerthError.self) { try CreateOptions.restartPolicy("on-failure:-1") }
    }
}
