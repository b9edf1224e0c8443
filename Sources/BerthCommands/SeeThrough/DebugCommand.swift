import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `berth debug CONTAINER [--pid] [-- CMD…]`: a host command inside a container's network namespace that
/// sees the container's resolv.conf and hosts.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract:
            "Run a host command (default: a shell) in a container's network namespace, with its resolv.conf and hosts.",
        discussion: """
            Like `nsenter --net --target PID`, but without its trap: the command also gets a private mount
            namespace in which the container's /etc/resolv.conf and /etc/hosts are bind-mounted over the host's,
            so the host's own tools (ip, ss, tcpdump, dig, curl) work and resolve names the way the container
            does. The host's files are not changed, and the container needs no tools of its own.
            With --pid the command also enters the container's PID namespace and sees its processes (a fresh
            /proc is mounted in the private mount namespace). The default command is $SHELL, else /bin/sh.

            Runs on the host as root (it enters namespaces); it uses util-linux's unshare and nsenter.
            Examples:
              berth debug web -- ss -ltnp
              berth debug web -- cat /etc/resolv.conf
              berth debug --pid web -- ps
            """)
    @Flag(help: "Also enter the container's PID namespace.") var pid = false
    @Argument(help: "Container name or ID.") var container: String
    @Argument(parsing: .postTerminator, help: "Command and arguments (after --).") var command: [String] = []

    func run() throws {
        guard geteuid() == 0 else {
            throw BerthError(
                .forbidden,
                "berth debug must run as root: it enters the container's namespaces and mounts over /etc/resolv.conf in a private mount namespace; run it with sudo"
            )
        }
        let client = try Connection.client()
        let info = try client.call(
            "GET", "/berth/containers/\(BerthClient.escapePath(container))/debug-info", as: DebugInfo.self)
        for tool in ["unshare", "nsenter", "mount"] where Self.find(tool) == nil {
            throw BerthError(
                .notFound,
                "berth debug needs util-linux's \(tool), which is not in PATH: install it with apt-get install util-linux mount"
            )
        }
        var cmd = command
        if cmd.isEmpty {
            let shell = ProcessInfo.processInfo.environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
            cmd = [shell]
        }
        let argv = Self.argv(info: info, enterPid: pid, command: cmd)
        fflush(nil)
        // exec replaces berth: the command's exit status is berth's, and its terminal is berth's.
        let cArgs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cArgs)
        let e = errno
        throw BerthError(.system, "could not run \(argv[0]): \(String(cString: strerror(e)))")
    }

    /// The script that runs in the new private mount namespace: bind the container's files over the host's,
    /// then enter the network (and PID) namespace and exec the command. Its arguments are
    /// `$1` netns path, `$2` pid namespace path or "", `$3` resolv.conf, `$4` hosts, then the command.
    static let script = """
        set -e
        net=$1; pidns=$2; resolv=$3; hosts=$4; shift 4
        for pair in "$resolv:/etc/resolv.conf" "$hosts:/etc/hosts"; do
            src=${pair%:*}; dst=${pair##*:}
            [ -n "$src" ] || continue
            if [ -e "$dst" ]; then
                mount --bind "$src" "$dst"
            else
                echo "berth debug: the host has no $dst to mount the container's over; the command sees none" >&2
            fi
        done
        if [ -n "$pidns" ]; then
            exec nsenter --net="$net" --pid="$pidns" -- /bin/sh -c 'mount -t proc proc /proc && exec "$@"' berth-debug "$@"
        fi
        exec nsenter --net="$net" -- "$@"
        """

    /// `unshare --mount --propagation private -- /bin/sh -c SCRIPT berth-debug NETNS PIDNS RESOLV HOSTS CMD…`.
    /// The mount namespace is private (propagation off), so nothing mounted in it reaches the host's.
    static func argv(info: DebugInfo, enterPid: Bool, command: [String]) -> [String] {
        [
            "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "berth-debug",
            info.NetworkNamespace, enterPid ? info.PidNamespace : "", info.ResolvConf, info.Hosts,
        ] + command
    }

    static func find(_ program: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(
            separator: ":")
        return paths.map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
    }
}
