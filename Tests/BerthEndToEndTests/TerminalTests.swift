import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 3: attached stdin (`-i`) and terminals (`-t`) for run and exec, through real runc console
/// sockets; a real pseudo-terminal on the client side comes from util-linux's `script`.
@Suite("stdin and terminals end to end (privileged)", .serialized) struct TerminalTests {
    /// Runs berth under a pseudo-terminal (`script`), typing `input` into it.
    func underTerminal(_ d: Daemon, _ args: [String], input: String) async throws -> SubprocessResult {
        let quoted = (["env"] + d.environment + ["BERTH_NO_AUTOSTART=1", Daemon.berth] + args).map(TerminalTests.shellQuote)
        let bytes = Array(input.utf8)
        return try await d.host.namespace.run {
            try Subprocess.run(["script", "-qec", quoted.joined(separator: " "), "/dev/null"], input: bytes)
        }
    }

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test func interactiveStdinAndTerminals() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()

        // run -i without a terminal: stdin flows in, and its end closes the container's stdin.
        let piped = try await d.cli(["run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done"], input: "hello\nworld\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout == "hello\nworld\ndone\n")
        #expect(try await d.cli(["run", "-i", "--rm", "busybox", "sh", "-c", "read x; exit $x"], input: "7\n").status == 7)
        // Without -i the container's stdin is empty.
        #expect(try await d.ok(["run", "--rm", "busybox", "sh", "-c", "cat | wc -c"]) == "0")

        // run -it under a real terminal: the container has its own; keystrokes reach it, the exit code comes back.
        let t = try await underTerminal(
            d, ["run", "--rm", "-it", "--name", "tty1", "busybox", "sh", "-c", "tty; read x; echo got:$x; exit 3"], input: "hello\r")
        #expect(t.status == 3, "\(t.stdout) \(t.stderr)")
        #expect(t.stdout.contains("/dev/pts/0"))
        #expect(t.stdout.contains("got:hello"))
        // -t alone (no terminal on our side): output is the terminal's, raw (CRLF line ends).
        let rawOut = try await d.cli(["run", "--name", "tonly", "-t", "busybox", "sh", "-c", "tty; stty size"])
        #expect(rawOut.stdout.hasPrefix("/dev/pts/0\r\n"), "\(rawOut.stdout.debugDescription)")
        // logs of a TTY container are one raw stream.
        #expect(try await d.cli(["logs", "tonly"]).stdout.hasPrefix("/dev/pts/0\r\n"))
        // A size set while it runs: a resize reaches the container's terminal.
        try await d.ok(["run", "-d", "-it", "--name", "sized", "busybox", "sh"])
        let sizedId = try await d.inspect("sized", "{{.Id}}")
        let resized = try d.rawHTTP("POST", "/containers/\(sizedId)/resize?h=33&w=111", body: "")
        #expect(resized.status == 200)
        #expect(try await d.ok(["exec", "sized", "sh", "-c", "stty size < /proc/1/fd/0"]) == "33 111")

        // exec -i and exec -it.
        try await d.ok(["run", "-d", "--name", "box", "busybox", "sleep", "300"])
        let ei = try await d.cli(["exec", "-i", "box", "sh", "-c", "cat | wc -l"], input: "a\nb\nc\n")
        #expect(ei.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3", "\(ei.stderr)")
        let et = try await underTerminal(d, ["exec", "-it", "box", "sh", "-c", "tty; read x; echo got:$x; exit 5"], input: "abc\r")
        #expect(et.status == 5, "\(et.stdout) \(et.stderr)")
        #expect(et.stdout.contains("got:abc"))
        #expect(et.stdout.contains("/dev/pts/"))
        let et2 = try await d.cli(["exec", "-t", "box", "tty"])
        #expect(et2.stdout.hasPrefix("/dev/pts/"), "\(et2.stdout) \(et2.stderr)")
        // A missing program under -t is still 127.
        #expect(try await d.cli(["exec", "-t", "box", "nosuchprogram"]).status == 127)

        // Bad input: a resize of an unknown container, a silly size.
        #expect(try d.rawHTTP("POST", "/containers/nosuch/resize?h=1&w=1", body: "").status == 404)
        #expect(try d.rawHTTP("POST", "/containers/\(sizedId)/resize?h=-1&w=1", body: "").status == 400)

        try await d.ok(["rm", "-f", "box", "sized", "tonly"])
        // Nothing left: no console sockets, no containers.
        #expect(FileSystem.listDirectory(d.run + "/runtime/console").isEmpty)
        #expect(try await d.ok(["ps", "-aq"]) == "")
    }
}
