import ArgumentParser
import BerthAPI
import BerthClient

/// `berth version`: the CLI's and the daemon's versions.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the berth CLI and berthd versions, and the API version they speak.")

    @Option(name: [.short, .long], help: "Format the daemon's version with a Go template, e.g. '{{.Version}}'.")
    var format: String?

    func run() throws {
        let client = try Connection.client()
        let v = try client.version()
        if let format {
            print(try GoTemplate(format).render(v))
            return
        }
        print(
            """
            Client:
             Version:           \(BerthVersion.version)
             API version:       \(BerthVersion.apiVersion)

            Server: berth
             Engine:
              Version:          \(v.version)
              API version:      \(v.apiVersion) (minimum version \(v.minAPIVersion))
              OS/Arch:          \(v.os)/\(v.arch)
              Kernel Version:   \(v.kernelVersion)
            """)
    }
}

/// `berth info`: what the daemon knows about itself and the host.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show system-wide information: networks, kernel, berth's paths and firewall table.")

    @Option(name: [.short, .long], help: "Format the output with a Go template, e.g. '{{.Berth.FirewallTable}}', or 'json'.")
    var format: String?

    func run() throws {
        let i = try Connection.client().info()
        if let format {
            print(format == "json" ? try GoTemplate("{{json .}}").render(i) : try GoTemplate(format).render(i))
            return
        }
        var lines = [
            "Server:",
            " Networks: \(i.networks)",
            " Containers: \(i.containers) (running \(i.containersRunning))",
            " Images: \(i.images)",
            " Server Version: \(i.serverVersion)",
            " Runtime: \(i.berth.runtime) (\(i.berth.runtimeReason))",
            " Kernel Version: \(i.kernelVersion)",
            " Operating System: \(i.operatingSystem)",
            " Architecture: \(i.architecture)",
            " CPUs: \(i.ncpu)",
            " Total Memory: \(String(format: "%.1f", Double(i.memTotal) / 1_073_741_824))GiB",
            " Name: \(i.name)",
            " Berth:",
            "  Root Dir: \(i.berth.root)",
            "  Run Dir: \(i.berth.run)",
            "  Config File: \(i.berth.configFile)",
            "  Default Bridge: \(i.berth.defaultBridge)",
            "  nftables Table: ip \(i.berth.firewallTable) (see: nft list table ip \(i.berth.firewallTable))",
        ]
        for w in i.berth.configWarnings { lines.append("WARNING: \(w)") }
        print(lines.joined(separator: "\n"))
    }
}

import Foundation
