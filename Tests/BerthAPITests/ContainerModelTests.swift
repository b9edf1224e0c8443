import BerthCore
import Foundation
import Testing

@testable import BerthAPI

@Suite("Docker API container models")
struct ContainerModelTests {
    /// What docker CLI 28 sends for `docker run -d --name web -p 8080:80 -e A=1 --network mynet busybox httpd -f`
    /// (abridged: the many zero/null fields it adds are kept where their shape matters).
    static let createBody = #"""
        {"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,
         "ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],
         "Cmd":["httpd","-f"],"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,
         "Labels":{},"HostConfig":{"Binds":null,"NetworkMode":"mynet","PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
         "RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"CapAdd":null,"CapDrop":null,
         "Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"Memory":0,"NanoCpus":0,"PidsLimit":null,
         "Ulimits":[],"MaskedPaths":null},
         "NetworkingConfig":{"EndpointsConfig":{"mynet":{"IPAMConfig":null,"Links":null,"Aliases":["w"],"MacAddress":""}}}}
        """#

    @Test func dockerCreateBodyDecodes() throws {
        let r = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(Self.createBody.utf8))
        #expect(r.Image == "busybox" && r.Cmd?.values == ["httpd", "-f"] && r.Entrypoint == nil && r.Env == ["A=1"])
        #expect(r.ExposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(r.HostConfig?.NetworkMode == "mynet")
        #expect(r.HostConfig?.PortBindings?["80/tcp"]??.first?.HostPort == "8080")
        #expect(r.NetworkingConfig?.EndpointsConfig?["mynet"]?.Aliases == ["w"])
    }

    @Test func cmdAsAStringAndFlatEncoding() throws {
        var r = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(#"{"Image":"busybox","Cmd":"sh"}"#.utf8))
        #expect(r.Cmd?.values == ["sh"])
        r.WorkingDir = "/tmp"
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(r)) as? [String: Any]
        #expect(json?["Image"] as? String == "busybox" && json?["WorkingDir"] as? String == "/tmp")
        #expect(json?["config"] == nil && json?["HostConfig"] == nil)
    }

    @Test func inspectPortsKeepNullForUnpublished() throws {
        var ns = NetworkSettings()
        ns.Ports = ["80/tcp": [PortBindingJSON(HostIp: "0.0.0.0", HostPort: "8080")]]
        ns.Ports["53/udp"] = .some(nil)
        let text = String(decoding: try JSONEncoder().encode(ns), as: UTF8.self)
        #expect(text.contains(#""53\/udp":null"#) || text.contains(#""53/udp":null"#))
        #expect(text.contains("\"SecondaryIPAddresses\":null"))
    }

    @Test func portSpecs() throws {
        #expect(try PortSpec.parse("8080:80").map(\.key) == ["80/tcp"])
        #expect(try PortSpec.parse("127.0.0.1::53/udp").first?.binding == PortBindingJSON(HostIp: "127.0.0.1", HostPort: ""))
        // A container port range is one range key (berth's extension), whatever its length.
        #expect(try PortSpec.parse("8000-8002:80-82").map { "\($0.key) \($0.binding.HostPort ?? "")" } == ["80-82/tcp 8000-8002"])
        #expect(try PortSpec.parse("9000-9999/udp").map { "\($0.key) \($0.binding.HostPort ?? "")" } == ["9000-9999/udp "])
        #expect(try PortSpec.parse("8000-8010:80").first?.binding.HostPort == "8000-8010")
        for bad in ["8080:80/sctp", "70000:80", "a:b", "1.2.3:80:80", "8000-8001:80-82", "1:2:3:4"] {
            #expect(throws: BerthError.self, "\(bad)") { try PortSpec.parse(bad) }
        }
        #expect(try PortSpec.exposed("53/udp") == ["53/udp"])
        #expect(try PortSpec.exposed("8000-8002") == ["8000-8002/tcp"])
    }

    @Test func portKeysFoldIntoRuns() throws {
        #expect(try PortKey("80") == PortKey(ports: 80...80, proto: "tcp"))
        #expect(try PortKey("8000-8010/UDP").text == "8000-8010/udp")
        for bad in ["0/tcp", "80/sctp", "90-80", "80-", "a/tcp", "70000", "1-2-3"] {
            #expect(throws: BerthError.self, "\(bad)") { try PortKey(bad) }
        }
        let ports: [(port: UInt16, proto: String)] = [(82, "tcp"), (53, "udp"), (80, "tcp"), (81, "tcp"), (81, "tcp"), (90, "tcp"), (54, "udp")]
        #expect(PortKey.runs(ports).map(\.text) == ["80-82/tcp", "90/tcp", "53-54/udp"])
        #expect(PortKey(ports: 80...82, proto: "tcp").singleKeys == ["80/tcp", "81/tcp", "82/tcp"])
    }

    @Test func containerFilters() throws {
        let f = try ContainerFilters.parse(json: #"{"name":["web"],"status":{"running":true}}"#)
        let c = ContainerSummary(
            Id: "abc", Names: ["/web"], Image: "busybox", ImageID: "sha256:1", Command: "sh", Created: 0, Ports: [],
            Labels: ["team": "a"], State: "running", Status: "Up", NetworkMode: "bridge", Networks: [:])
        #expect(f.matches(c, exitCode: 0, imageNames: ["busybox"]))
        #expect(!(try ContainerFilters.parse(arguments: ["status=exited"])).matches(c, exitCode: 0, imageNames: []))
        #expect(throws: BerthError.self) { try ContainerFilters.parse(arguments: ["status=sleeping"]) }
        #expect(throws: BerthError.self) { try ContainerFilters.parse(arguments: ["colour=red"]) }
        #expect(HumanDuration.text(seconds: 0.5) == "Less than a second" && HumanDuration.text(seconds: 90) == "About a minute")
    }
}
