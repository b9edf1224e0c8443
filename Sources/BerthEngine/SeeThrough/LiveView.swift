import BerthAPI
import BerthCore

extension ContainerEngine {
    /// `berth inspect`'s live view: the container's part of `topology`, with each interface joined
    /// to the host end of its veth, and the resolver's sockets in its namespace.
    public func liveView(_ ref: String) async throws -> ContainerLiveView {
        let c = try container(ref)
        guard c.state == .running, c.pid > 0 else {
            return ContainerLiveView(Running: false, Namespace: nil, SharesNamespaceWith: nil, Interfaces: [], Ports: [], DNSSockets: [])
        }
        let report = try await topology(network: nil)
        guard let me = report.Containers.first(where: { $0.ID == c.id }) else {
            return ContainerLiveView(Running: true, Namespace: nil, SharesNamespaceWith: nil, Interfaces: [], Ports: [], DNSSockets: [])
        }
        var hostEnd: [Int: (veth: TopologyVeth, bridge: String)] = [:]
        for b in report.Bridges {
            for v in b.Veths where v.Container == c.name { if let p = v.PeerIndex { hostEnd[p] = (v, b.Interface.Name) } }
        }
        let interfaces = me.Interfaces.filter { $0.Name != "lo" }.map { i in
            LiveInterface(
                Name: i.Name, Index: i.Index, PeerIndex: i.PeerIndex, HostVeth: hostEnd[i.Index]?.veth.HostName,
                Bridge: hostEnd[i.Index]?.bridge, Addresses: i.Addresses, OperState: i.OperState)
        }
        var sockets: [String] = []
        if let ports = await networks.dnsPorts(sandbox: c.sandbox) {
            sockets = ["udp 127.0.0.11:\(ports.udp)", "tcp 127.0.0.11:\(ports.tcp)"]
        }
        return ContainerLiveView(
            Running: true, Namespace: me.Namespace, SharesNamespaceWith: me.SharesNamespaceWith, Interfaces: interfaces,
            Ports: me.Ports, DNSSockets: sockets)
    }
}
