import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 3: the real `docker` CLI (no dockerd) drives berthd through DOCKER_HOST.
@Suite("docker CLI against berthd (privileged)", .serialized) struct DockerCLITests {
    func docker(_ d: Daemon, _ args: [String], input: String? = nil) async throws -> SubprocessResult {
        let bytes = input.map { Array($0.utf8) }
        return try await d.host.namespace.run {
            try Subprocess.run(
                ["env", "DOCKER_HOST=unix://\(d.run)/berth.sock", "DOCKER_CONFIG=\(d.host.directory)/docker", "docker"] + args,
                input: bytes)
        }
    }

    @discardableResult
    func ok(_ d: Daemon, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await docker(d, args)
        #expect(r.status == 0, "docker \(args.joined(separator: " ")) → \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        return r.stdout.trimmed
    }

    @Test func dockerRunPsInspectLogsExecStopRmAndNetworks() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let id = try await ok(d, ["run", "-d", "--name", "web", "-p", "8088:80", "busybox", "httpd", "-f", "-v", "-p", "80", "-h", "/etc"])
        #expect(id.count == 64)
        #expect(try await ok(d, ["ps", "--format", "{{.Names}} {{.Status}}"]).hasPrefix("web Up"))
        #expect(try await ok(d, ["inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.State.Running}}", "web"]) == "172.17.0.2 true")
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8088/hostname").stdout.trimmed == String(id.prefix(12)))
        #expect(try await ok(d, ["exec", "web", "cat", "/etc/hostname"]) == String(id.prefix(12)))
        #expect(try await docker(d, ["exec", "web", "sh", "-c", "exit 3"]).status == 3)
        // Attached stdin over the hijacked connection: run -i and exec -i.
        let piped = try await docker(d, ["run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done"], input: "hello\n")
        #expect(piped.status == 0 && piped.stdout == "hello\ndone\n", "\(piped.stdout) \(piped.stderr)")
        #expect(try await docker(d, ["exec", "-i", "web", "wc", "-w"], input: "a b c\n").stdout.trimmed == "3")
        #expect(try await docker(d, ["exec", "-t", "web", "tty"]).stdout.hasPrefix("/dev/pts/"))
        let logs = try await docker(d, ["logs", "web"])
        #expect(logs.status == 0)
        #expect((logs.stdout + logs.stderr).contains("response:200"))
        try await ok(d, ["network", "create", "docknet"])
        #expect(try await ok(d, ["network", "ls", "--format", "{{.Name}}"]).contains("docknet"))
        try await ok(d, ["network", "connect", "docknet", "web"])
        #expect(try await ok(d, ["exec", "web", "ip", "-o", "-4", "addr", "show", "eth1"]).contains("172.18.0.2/16"))
        #expect(try await ok(d, ["network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "docknet"]) == "web")
        try await ok(d, ["network", "disconnect", "docknet", "web"])
        #expect(try await docker(d, ["exec", "web", "ip", "link", "show", "eth1"]).status != 0)
        try await ok(d, ["stop", "-t", "1", "web"])
        #expect(try await ok(d, ["ps", "-a", "--format", "{{.Status}}"]).hasPrefix("Exited"))
        try await ok(d, ["rm", "web"])
        try await ok(d, ["network", "rm", "docknet"])
        #expect(try await ok(d, ["ps", "-aq"]) == "")
    }
}
