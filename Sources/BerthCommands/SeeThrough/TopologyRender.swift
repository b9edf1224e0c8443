import BerthAPI

/// Pure renderers of a `TopologyReport`: a text tree and Graphviz DOT.
enum TopologyRender {
    // MARK: text

    /// A tree like `tree(1)`: the host namespace with its interfaces, bridges and veth host ends, then each
    /// container with the interfaces of its namespace and its published ports.
    static func text(_ r: TopologyReport) -> String {
        var out = "HOST  netns \(r.Host.Path)  net:[\(r.Host.Inode)]\n"
        var hostItems: [Node] = r.Uplinks.map { Node(interfaceLine($0)) }
        for b in r.Bridges {
            let head =
                "\(b.Interface.Name)  bridge of network \(b.Network)\(b.Internal ? " (internal)" : "")  "
                + state(b.Interface) + addresses(b.Interface)
            var ports = b.Veths.map { v -> Node in
                let peer =
                    v.Container.map { c in "\(c):\(v.ContainerInterface ?? "?")" }
                    ?? "no container namespace holds the peer"
                return Node("\(v.HostName)@if\(v.PeerIndex.map(String.init) ?? "?") (if\(v.HostIndex)) <-> \(peer)")
            }
            if ports.isEmpty { ports = [Node("no veth attached")] }
            hostItems.append(Node(head, ports))
        }
        let onHost = r.Containers.filter { $0.SharesNamespaceWith == "host" }.map(\.Name)
        if !onHost.isEmpty {
            hostItems.append(Node("also used by: " + onHost.joined(separator: ", ") + " (network host)"))
        }
        out += render(hostItems)
        out += "CONTAINERS\n"
        if r.Containers.isEmpty { out += "(none running)\n" }
        var containerItems: [Node] = []
        for c in r.Containers {
            var head = "\(c.Name)  \(c.NetworkMode)  pid \(c.Pid)"
            var children: [Node] = []
            switch c.SharesNamespaceWith {
            case "host"?:
                head += "  -> the host's namespace"
            case let other?:
                head += "  -> \(other)'s namespace net:[\(c.Namespace.Inode)]"
            case nil:
                head += "  net:[\(c.Namespace.Inode)] \(c.Namespace.Path)"
                children = c.Interfaces.map { i in
                    Node((i.PeerIndex.map { "\(i.Name)@if\($0)" } ?? i.Name) + "  " + state(i) + addresses(i))
                }
                let sharers = r.Containers.filter { $0.SharesNamespaceWith == c.Name }.map(\.Name)
                if !sharers.isEmpty { children.append(Node("shared with: " + sharers.joined(separator: ", "))) }
            }
            children += c.Ports.map { Node("published \(portText($0))") }
            containerItems.append(Node(head, children))
        }
        out += render(containerItems)
        for w in r.Warnings { out += "warning: \(w)\n" }
        return out
    }

    struct Node {
        var text: String
        var children: [Node] = []
        init(_ text: String, _ children: [Node] = []) {
            self.text = text
            self.children = children
        }
    }

    static func render(_ nodes: [Node], prefix: String = "") -> String {
        var out = ""
        for (i, n) in nodes.enumerated() {
            let last = i == nodes.count - 1
            out += prefix + (last ? "└── " : "├── ") + n.text + "\n"
            out += render(n.children, prefix: prefix + (last ? "    " : "│   "))
        }
        return out
    }

    static func interfaceLine(_ i: TopologyInterface) -> String {
        (i.PeerIndex.map { "\(i.Name)@if\($0)" } ?? i.Name) + "  " + state(i) + addresses(i) + gateway(i)
    }

    /// `UP`, `DOWN NO-CARRIER` (up but nothing plugged in, as `ip link` flags it), `DOWN (admin)`.
    static func state(_ i: TopologyInterface) -> String {
        guard i.Up else { return "DOWN (admin)" }
        return i.Carrier || i.Name == "lo" ? i.OperState : i.OperState + " NO-CARRIER"
    }

    static func gateway(_ i: TopologyInterface) -> String {
        guard let g = i.DefaultGateway else { return "" }
        return g.isEmpty ? "  default route" : "  default via \(g)"
    }

    static func addresses(_ i: TopologyInterface) -> String {
        i.Addresses.isEmpty ? "" : "  " + i.Addresses.joined(separator: " ")
    }

    /// `0.0.0.0:8080/tcp -> 172.18.0.2:80`.
    static func portText(_ p: TopologyPort) -> String {
        "\(p.HostIP.isEmpty ? "0.0.0.0" : p.HostIP):\(p.HostPort)/\(p.Proto) -> \(p.ContainerIP):\(p.ContainerPort)"
    }

    // MARK: dot

    /// Graphviz input: one cluster per network namespace (the host's, each container's own), interfaces as
    /// boxes, containers as ellipses inside the namespace they use, veth pairs as edges between the ends,
    /// and published ports as notes pointing at the container address they are forwarded to.
    static func dot(_ r: TopologyReport) -> String {
        var w = [
            "digraph berth {", "  rankdir=LR;", "  compound=true;",
            "  node [shape=box, fontname=\"monospace\", fontsize=10];",
            "  edge [fontname=\"monospace\", fontsize=9];",
        ]
        func id(_ s: String) -> String { quote(s) }
        func label(_ lines: [String]) -> String { quote(lines.joined(separator: "\n")) }
        func ifaceLabel(_ i: TopologyInterface) -> String {
            label(
                [(i.PeerIndex.map { "\(i.Name)@if\($0)" } ?? i.Name) + " (if\(i.Index))", state(i)] + i.Addresses
                    + (i.DefaultGateway.map { ["default via \($0.isEmpty ? "link" : $0)"] } ?? []))
        }
        // Host cluster.
        w.append("  subgraph \(id("cluster_host")) {")
        w.append("    label=\(label(["host", "net:[\(r.Host.Inode)]"]));")
        for u in r.Uplinks { w.append("    \(id("host/if\(u.Index)")) [label=\(ifaceLabel(u))];") }
        for b in r.Bridges {
            let lines =
                ["\(b.Interface.Name) (if\(b.Interface.Index))", "bridge of network \(b.Network)", state(b.Interface)]
                + b.Interface.Addresses
            w.append("    \(id("host/if\(b.Interface.Index)")) [shape=box3d, label=\(label(lines))];")
            for v in b.Veths {
                w.append(
                    "    \(id("host/if\(v.HostIndex)")) [label=\(label(["\(v.HostName)@if\(v.PeerIndex.map(String.init) ?? "?") (if\(v.HostIndex))"]))];"
                )
            }
        }
        for c in r.Containers where c.SharesNamespaceWith == "host" {
            w.append(
                "    \(id("container/\(c.ID)")) [shape=ellipse, label=\(label([c.Name, "network host", "pid \(c.Pid)"]))];"
            )
        }
        // Published ports are host addresses: they sit in the host's cluster.
        for c in r.Containers {
            for p in c.Ports {
                w.append(
                    "    \(id(portNode(p))) [shape=note, label=\(label(["\(p.HostIP.isEmpty ? "0.0.0.0" : p.HostIP):\(p.HostPort)/\(p.Proto)"]))];"
                )
            }
        }
        w.append("  }")
        // Container namespaces.
        for c in r.Containers where c.SharesNamespaceWith == nil {
            let ns = "ns/\(c.Namespace.Inode)"
            w.append("  subgraph \(id("cluster_" + ns)) {")
            w.append("    label=\(label(["\(c.Name)'s namespace", "net:[\(c.Namespace.Inode)]"]));")
            w.append(
                "    \(id("container/\(c.ID)")) [shape=ellipse, label=\(label([c.Name, c.NetworkMode, "pid \(c.Pid)"]))];"
            )
            for i in c.Interfaces { w.append("    \(id("\(ns)/if\(i.Index)")) [label=\(ifaceLabel(i))];") }
            for s in r.Containers where s.SharesNamespaceWith == c.Name {
                w.append(
                    "    \(id("container/\(s.ID)")) [shape=ellipse, label=\(label([s.Name, s.NetworkMode, "pid \(s.Pid)"]))];"
                )
            }
            w.append("  }")
        }
        // Bridge ports and veth pairs.
        let owners = Dictionary(
            r.Containers.filter { $0.SharesNamespaceWith == nil }.map { ($0.Name, $0) }, uniquingKeysWith: { a, _ in a }
        )
        for b in r.Bridges {
            for v in b.Veths {
                w.append(
                    "  \(id("host/if\(b.Interface.Index)")) -> \(id("host/if\(v.HostIndex)")) [dir=none, label=\"port\"];"
                )
                if let name = v.Container, let c = owners[name], let peer = v.PeerIndex {
                    w.append(
                        "  \(id("host/if\(v.HostIndex)")) -> \(id("ns/\(c.Namespace.Inode)/if\(peer)")) [dir=both, label=\"veth pair\"];"
                    )
                }
            }
        }
        // Published ports point at the interface holding the container address.
        for c in r.Containers {
            for p in c.Ports {
                let portId = portNode(p)
                let owner = c.SharesNamespaceWith.flatMap { owners[$0] } ?? c
                let target = owner.Interfaces.first { $0.Addresses.contains { $0.hasPrefix(p.ContainerIP + "/") } }
                let to = target.map { "ns/\(owner.Namespace.Inode)/if\($0.Index)" } ?? "container/\(c.ID)"
                w.append("  \(id(portId)) -> \(id(to)) [label=\(label(["DNAT \(p.ContainerIP):\(p.ContainerPort)"]))];")
            }
        }
        w.append("}")
        return w.joined(separator: "\n") + "\n"
    }

    static func portNode(_ p: TopologyPort) -> String { "port/\(p.Proto)/\(p.HostIP)/\(p.HostPort)" }

    /// A DOT double-quoted string: backslash and quote escaped, a newline as DOT's `\n` line break.
    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": break
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
