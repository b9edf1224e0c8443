import BerthEngine
import Foundation
import Testing

/// The stored form of a container's published ports: runs of consecutive ports as one entry, read back
/// port by port; specs stored before runs existed still read.
@Suite struct ContainerSpecTests {
    func roundTrip(_ spec: ContainerSpec) throws -> (ContainerSpec, String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(spec), as: UTF8.self)
        return (try JSONDecoder().decode(ContainerSpec.self, from: Data(text.utf8)), text)
    }

    @Test func aThousandPortRangeIsOneEntryAndReadsBackPerPort() throws {
        var spec = ContainerSpec(image: "busybox", imageId: "sha256:x")
        spec.ports = [PortBinding(hostPort: 8080, containerPort: 80)]
        spec.ports += (0..<1000).map { PortBinding(hostPort: 23000 + $0, containerPort: 20000 + $0) }
        spec.ports += [
            PortBinding(proto: "udp", hostPort: 24000, containerPort: 21000),  // another protocol
            PortBinding(proto: "udp", hostIP: "127.0.0.1", hostPort: 24001, containerPort: 21001),  // another address
            PortBinding(hostPort: 0, containerPort: 443),  // any free port: never part of a run
            PortBinding(hostPort: 0, containerPort: 444),
            PortBinding(hostPort: 9000, hostPortEnd: 9010, containerPort: 53),  // a host range for one port
            PortBinding(hostPort: 9001, hostPortEnd: 9011, containerPort: 54),
        ]
        let (back, text) = try roundTrip(spec)
        #expect(back == spec)
        #expect(text.components(separatedBy: "\"containerPort\"").count - 1 == 8)
        #expect(text.contains("\"count\":1000"))
    }

    @Test func singlePortsAreStoredAsBeforeAndOldSpecsRead() throws {
        var spec = ContainerSpec(image: "busybox", imageId: "sha256:x")
        spec.ports = [PortBinding(hostPort: 8080, containerPort: 80), PortBinding(hostPort: 8443, containerPort: 443)]
        let (back, text) = try roundTrip(spec)
        #expect(back == spec)
        #expect(text.contains(#""ports":[{"containerPort":80,"hostIP":"","hostPort":8080,"hostPortEnd":0,"proto":"tcp"},"#))
        #expect(!text.contains("count"))
    }

    @Test func aCorruptRunIsAnError() throws {
        var spec = ContainerSpec(image: "busybox", imageId: "sha256:x")
        spec.ports = [PortBinding(hostPort: 65000, containerPort: 80)]
        let (_, text) = try roundTrip(spec)
        let bad = text.replacingOccurrences(of: "\"hostPortEnd\":0,", with: "\"count\":1000,\"hostPortEnd\":0,")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ContainerSpec.self, from: Data(bad.utf8)) }
    }
}
