// swift-tools-version:6.0
// berth — a container engine whose networking is built from the kernel's own parts.
// Module layout and dependency rules: see ../shared/DESIGN.md ("Modules").
import PackageDescription

#if canImport(Glibc)
import Glibc
#endif

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// The toolchain's `lib/swift` (found from where this manifest's PackageDescription library was
/// loaded: SwiftPM evaluates the manifest with its own toolchain). berth-monitor is Embedded Swift and
/// needs the toolchain's `embedded` stdlib and Unicode tables by path: `--static-swift-stdlib` points
/// every compile at `lib/swift_static`, which has no embedded standard library (README "Memory").
func toolchainSwiftLib() -> String? {
    #if canImport(Glibc)
    guard let maps = fopen("/proc/self/maps", "r") else { return nil }
    defer { fclose(maps) }
    let suffix = "/pm/ManifestAPI/libPackageDescription.so"
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), maps) != nil {
        let bytes = line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let slash = text.firstIndex(of: "/") else { continue }
        let path = String(text[slash...])
        if path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) }
    }
    #endif
    return nil
}

/// berth-monitor, one per container, is built with Embedded Swift: no runtime metadata, no
/// reflection, only the code it calls, so it holds about 1.2 MB RSS instead of 5 (README "Memory").
/// Its module is its own `main.swift` plus the very source files of BerthMonitor, BerthSystem and
/// BerthCore that it uses, linked into `Sources/berth-monitor/Shared` (one source, compiled twice:
/// here in the Embedded subset, and as those modules for berthd and the tests). Whole-module
/// optimisation is required by Embedded Swift; glibc is linked statically (the monitor uses no NSS and
/// no dlopen). Without the toolchain's path (not Linux) only a plain debug build can work.
let monitorSettings: (swift: [SwiftSetting], linker: [LinkerSetting]) = {
    var swift: [SwiftSetting] = swiftSettings + [.enableExperimentalFeature("Embedded")]
    var linker: [LinkerSetting] = []
    #if arch(x86_64)
    let triple = "x86_64-unknown-linux-gnu"
    #else
    let triple = "aarch64-unknown-linux-gnu"
    #endif
    if let lib = toolchainSwiftLib() {
        swift.append(.unsafeFlags(["-wmo", "-resource-dir", lib]))
        linker.append(
            .unsafeFlags([
                "-enable-experimental-feature", "Embedded", "-static-executable",
                "-Xlinker", lib + "/embedded/" + triple + "/libswiftUnicodeDataTables.a",
            ]))
    } else {
        swift.append(.unsafeFlags(["-wmo"]))
        linker.append(.unsafeFlags(["-enable-experimental-feature", "Embedded", "-static-executable"]))
    }
    return (swift, linker)
}()

/// Release builds of berthd and berth link with the toolchain's lld and pack their relative
/// relocations (`DT_RELR`, glibc ≥ 2.36): a static Swift executable has ~100,000 of them, 2.3 MB
/// that every start reads and applies; packed they are 19 KB. Both stay position-independent (ASLR).
/// berthd idles ~2 MB smaller, the CLI starts sooner, and lld links in seconds where gold took a minute.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux], configuration: .release))
]

/// The CLI's release build is one static executable (glibc too): no dynamic loader, no symbol lookups,
/// no shared libraries to map. Every `berth` command starts ~4 ms sooner (12.4 → 8.5 ms for `berth ps`),
/// and `berth run` starts the CLI once per container. (berthd stays dynamic: it loads libnftables.)
let cliReleaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-static-executable"], .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "berth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "berthd", targets: ["berthd"]),
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-monitor", targets: ["berth-monitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: pure value modules
        .target(name: "BerthCore", swiftSettings: swiftSettings),
        .target(name: "BerthAddressing", dependencies: ["BerthCore"], swiftSettings: swiftSettings),
        .target(name: "BerthNetlinkWire", dependencies: ["BerthCore"], swiftSettings: swiftSettings),
        .target(name: "BerthIPAM", dependencies: ["BerthCore", "BerthAddressing"], swiftSettings: swiftSettings),
        .target(name: "BerthAPI", dependencies: ["BerthCore"], swiftSettings: swiftSettings),
        .target(
            name: "BerthCompose", dependencies: ["BerthCore", "BerthAPI", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        .target(name: "BerthDNSWire", dependencies: ["BerthCore", "BerthAddressing"], swiftSettings: swiftSettings),

        // MARK: kernel and I/O
        .target(name: "CBerthSystem"),
        .target(
            name: "BerthSystem", dependencies: ["BerthCore", "CBerthSystem"], exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthNetlink",
            dependencies: ["BerthCore", "BerthAddressing", "BerthNetlinkWire", "BerthSystem"],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthFirewall", dependencies: ["BerthCore", "BerthAddressing", "BerthSystem"],
            swiftSettings: swiftSettings),
        .target(name: "BerthImage", dependencies: ["BerthCore", "BerthSystem"], swiftSettings: swiftSettings),
        // The per-container monitor's code and the types berthd shares with it (state.json, log lines,
        // the attach protocol, the runtime's arguments). No Foundation here or below: the monitor
        // runs once per container and must stay small (README "Memory").
        .target(name: "BerthMonitor", dependencies: ["BerthCore", "BerthSystem"], swiftSettings: swiftSettings),
        .target(
            name: "BerthRuntime", dependencies: ["BerthCore", "BerthAddressing", "BerthSystem"],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthDNS",
            dependencies: [
                "BerthCore", "BerthAddressing", "BerthDNSWire", "BerthSystem", "BerthFirewall",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthStore",
            dependencies: ["BerthCore", "BerthAddressing", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),

        // MARK: orchestration
        .target(
            name: "BerthEngine",
            dependencies: [
                "BerthCore", "BerthAddressing", "BerthIPAM", "BerthAPI", "BerthSystem", "BerthNetlink",
                "BerthFirewall", "BerthStore", "BerthDNS", "BerthDNSWire", "BerthImage", "BerthRuntime", "BerthMonitor",
            ],
            swiftSettings: swiftSettings),

        // MARK: edges
        .target(
            name: "BerthAPIServer",
            dependencies: [
                "BerthCore", "BerthAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthClient", dependencies: ["BerthCore", "BerthAPI", "BerthSystem"], swiftSettings: swiftSettings),
        .target(
            name: "BerthDaemon",
            dependencies: [
                "BerthCore", "BerthAPI", "BerthEngine", "BerthAPIServer", "BerthSystem", "BerthStore", "BerthIPAM",
                "BerthFirewall", "BerthNetlink", "BerthDNS", "BerthAddressing", "BerthImage", "BerthRuntime",
                "BerthMonitor",
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "BerthCommands",
            dependencies: [
                "BerthCore", "BerthAPI", "BerthClient", "BerthSystem", "BerthCompose",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "berthd", dependencies: ["BerthDaemon"], swiftSettings: swiftSettings, linkerSettings: releaseLinking),
        .executableTarget(
            name: "berth", dependencies: ["BerthCommands"], swiftSettings: swiftSettings, linkerSettings: cliReleaseLinking),
        // One static Embedded Swift executable (see `monitorSettings`): it depends on no Swift module,
        // only on C (CBerthSystem, and CBerthLibc for libc's headers: Embedded Swift has no Glibc module).
        .target(name: "CBerthLibc"),
        .executableTarget(
            name: "berth-monitor", dependencies: ["CBerthSystem", "CBerthLibc"], swiftSettings: monitorSettings.swift,
            linkerSettings: monitorSettings.linker + [.linkedLibrary("m")]),

        // MARK: tests (tier 1 unit, tier 2 privileged, tier 3 end-to-end; see README)
        .target(
            name: "BerthTestSupport", dependencies: ["BerthCore", "BerthSystem"], path: "Tests/BerthTestSupport",
            swiftSettings: swiftSettings),
        .testTarget(name: "BerthAddressingTests", dependencies: ["BerthAddressing"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthNetlinkWireTests", dependencies: ["BerthNetlinkWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthDNSTests",
            dependencies: ["BerthDNS", "BerthDNSWire", "BerthSystem", "BerthTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthComposeTests", dependencies: ["BerthCompose", "BerthCore", "BerthAPI"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthDNSWireTests", dependencies: ["BerthDNSWire"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthIPAMTests", dependencies: ["BerthIPAM"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthSystemTests", dependencies: ["BerthSystem", "BerthTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthNetlinkTests", dependencies: ["BerthNetlink", "BerthSystem", "BerthTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthFirewallTests", dependencies: ["BerthFirewall", "BerthSystem", "BerthTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthImageTests", dependencies: ["BerthImage", "BerthSystem", "BerthTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthRuntimeTests", dependencies: ["BerthRuntime", "BerthImage", "BerthSystem", "BerthTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "BerthMonitorTests", dependencies: ["BerthMonitor", "BerthCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthAPITests", dependencies: ["BerthAPI", "BerthCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BerthStoreTests", dependencies: ["BerthStore", "BerthSystem"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthEngineTests", dependencies: ["BerthEngine", "BerthFirewall", "BerthIPAM", "BerthStore", "BerthTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthAPIServerTests", dependencies: ["BerthAPIServer", "BerthAPI", "BerthClient", "BerthSystem", "BerthTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthCommandsTests", dependencies: ["BerthCommands", "BerthAPI"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BerthEndToEndTests", dependencies: ["BerthTestSupport", "BerthClient", "BerthAPI"],
            swiftSettings: swiftSettings),
    ]
)
