import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import Foundation

/// `berth ns`: the namespace table seed 002 builds by hand from `ls -l /proc/PID/ns`.
struct NsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ns",
        abstract: "Compare containers' namespaces with the host's, and show who shares which namespace.",
        discussion: """
            For each namespace type (cgroup, ipc, mnt, net, pid, pid_for_children, time, user, uts) berth shows
            the inode of each container's first process (the N of `net:[N]` in ls -l /proc/PID/ns) next to the
            reference's: PID 1's, or berthd's own when PID 1's namespaces cannot be read (the output says which).
            A value marked * is the reference's namespace. The SHARED section lists every namespace more than
            one of them is in: a host-network container shares net with the host, `--pid container:X` shares
            pid with X. berth gives containers no user or time namespace of their own, as Docker does not.
            Each container's cgroup path, memory limit and memory usage follow.
            """)
    @Flag(help: "Every running container, grouped by the namespaces they share.") var all = false
    @Option(name: [.short, .long], help: "json for the NamespaceReport document.") var format: String?
    @Argument(help: "Container names or IDs.") var containers: [String] = []

    func validate() throws {
        if containers.isEmpty && !all {
            throw ValidationError("name one or more containers, or use --all for every running one")
        }
        if !containers.isEmpty && all { throw ValidationError("use either container names or --all, not both") }
        if let format, format != "json" { throw ValidationError("--format accepts only json") }
    }

    func run() throws {
        let client = try Connection.client()
        let list = containers.map {
            $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
                ?? $0
        }
        let path = "/berth/ns" + (list.isEmpty ? "" : "?containers=" + list.joined(separator: ","))
        let report = try client.call("GET", path, as: NamespaceReport.self)
        if format == "json" {
            print(try SeeThroughJSON.encode(report))
        } else {
            print(Self.text(report), terminator: "")
        }
    }

    /// The table, the shared groups and the cgroup lines.
    static func text(_ r: NamespaceReport) -> String {
        let ref = r.Reference
        var out = "reference: \(ref.Kind == "pid1" ? "PID 1" : "berthd (pid \(ref.Pid))") — \(ref.Reason)\n\n"
        if r.Containers.isEmpty { return out + "no running containers\n" }
        let refName = ref.Kind == "pid1" ? "PID 1" : "berthd"
        var rows: [[String]] = [["TYPE", refName.uppercased()] + r.Containers.map(\.Name)]
        for t in NamespaceReport.types {
            var row = [t, ref.Namespaces[t].map(String.init) ?? "-"]
            for c in r.Containers {
                guard let i = c.Namespaces[t] else {
                    row.append("-")
                    continue
                }
                row.append(String(i) + (i == ref.Namespaces[t] ? " *" : ""))
            }
            rows.append(row)
        }
        out += TableWriter.render(rows)
        out += "(* = the \(refName) reference's namespace)\n\nSHARED\n"
        if r.Shared.isEmpty { out += "nothing is shared\n" }
        for s in r.Shared {
            let who = (s.Reference ? ["\(refName) (reference)"] : []) + s.Containers
            out += "\(s.Type):[\(s.Inode)]  " + who.joined(separator: ", ") + "\n"
        }
        out += "\nCGROUPS\n"
        for c in r.Containers {
            let limit = c.MemoryLimit.map(bytes) ?? "no limit"
            let usage = c.MemoryUsage.map(bytes) ?? "unknown"
            out +=
                "\(c.Name)  pid \(c.Pid)  cgroup \(c.Cgroup.isEmpty ? "?" : c.Cgroup)  memory \(usage) used, limit \(limit)\n"
        }
        return out
    }

    /// 52428800 → "50.0MiB".
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n)B" : String(format: "%.1f", v) + units[u]
    }
}
