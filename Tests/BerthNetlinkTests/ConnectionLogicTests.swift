import BerthCore
import BerthNetlink
import BerthSystem
import Testing

/// The connection's rules, checked against a fake kernel: what the real kernel does only under load or
/// races (interrupted dumps, lost replies, stale messages) is scripted here.
@Suite("netlink connection logic (fake kernel)") struct ConnectionLogicTests {
    static func link(_ index: Int32, _ name: String) -> NetlinkPayload {
        .link(LinkMessage(header: InterfaceInfoHeader(index: index), attributes: [.name(name), .mtu(1500)]))
    }

    static func ack(_ request: NetlinkMessage) throws -> [FakeKernel.Event] {
        [.datagram(try NetlinkMessage.errorReply(to: request, errorNumber: 0, portID: 4242).encode())]
    }

    static func dumpReply(_ request: NetlinkMessage, names: [String], interrupted: Bool) throws -> [FakeKernel.Event] {
        var datagram: [UInt8] = []
        for (i, name) in names.enumerated() {
            datagram += try request.reply(link(Int32(i + 1), name), flags: .multi).encode()
        }
        let doneFlags: NetlinkFlags = interrupted ? [.multi, .dumpInterrupted] : .multi
        datagram += try request.reply(.done(DoneMessage()), flags: doneFlags).encode()
        return [.datagram(datagram)]
    }

    @Test func everyRequestHasFreshSequenceAndAck() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(transport: FakeKernel(log: log) { request, _ in try Self.ack(request) })
        try connection.setUp("eth0")
        try connection.setDown("eth0")
        let requests = log.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.header.flags.isSuperset(of: [.request, .ack]) })
        #expect(requests[0].header.sequence != requests[1].header.sequence)
        guard case .link(let up) = requests[0].payload, case .link(let down) = requests[1].payload else { return }
        #expect(up.header.flags == .up && up.header.change == .up)
        #expect(down.header.flags == [] && down.header.change == .up)
        #expect(up.name == "eth0")
    }

    @Test func interruptedDumpIsRepeatedWhole() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(
            transport: FakeKernel(log: log) { request, n in
                // The first two dumps see the table change under them; the third is consistent.
                try Self.dumpReply(
                    request, names: n < 2 ? ["lo", "half"] : ["lo", "eth0", "eth1"], interrupted: n < 2)
            })
        let links = try connection.links()
        #expect(links.map(\.name) == ["lo", "eth0", "eth1"])
        #expect(log.requests.count == 3)
        #expect(log.requests.allSatisfy { $0.header.flags.contains(.dump) })
    }

    @Test func endlesslyInterruptedDumpGivesUpClearly() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(
            transport: FakeKernel(log: log) { request, _ in
                try Self.dumpReply(request, names: ["lo"], interrupted: true)
            })
        let error = try #require(throws: NetlinkError.self) { try connection.links() }
        #expect(error.errno == .EINTR)
        #expect(log.requests.count == NetlinkConnection.maxDumpAttempts)
        #expect(error.description.hasPrefix("ip link show: "))
        #expect(error.description.contains("10 dumps in a row were interrupted"))
    }

    @Test func staleAndForeignRepliesAreSkipped() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(
            transport: FakeKernel(log: log) { request, _ in
                var stale = request
                stale.header.sequence &-= 1
                var foreignPort = request
                foreignPort.header.portID = 1
                return [
                    // A late ACK for an earlier request: wrong sequence number.
                    .datagram(try NetlinkMessage.errorReply(to: stale, errorNumber: 1, portID: 4242).encode()),
                    // Right sequence but addressed to another socket.
                    .datagram(try NetlinkMessage.errorReply(to: request, errorNumber: 1, portID: 7).encode()),
                    // Right everything but sent by a process, not the kernel.
                    .datagram(
                        try NetlinkMessage.errorReply(to: request, errorNumber: 1, portID: 4242).encode(), sender: 999),
                    // The real answer.
                    .datagram(try NetlinkMessage.errorReply(to: request, errorNumber: 0, portID: 4242).encode()),
                ]
            })
        try connection.setMTU("eth0", to: 1400)
        #expect(log.receives == 4)
    }

    @Test func kernelErrorCarriesOperationErrnoAndExtendedAck() throws {
        let connection = NetlinkConnection(
            transport: FakeKernel(log: FakeKernelLog()) { request, _ in
                [
                    .datagram(
                        try NetlinkMessage.errorReply(
                            to: request, errorNumber: Errno.EACCES.rawValue, portID: 4242,
                            extendedAck: ExtendedAck(message: "Permission denied")
                        ).encode())
                ]
            })
        let error = try #require(throws: NetlinkError.self) { try connection.setMTU("eth0", to: 9000) }
        #expect(error.errno == .EACCES)
        #expect(error.kernelMessage == "Permission denied")
        #expect(error.description == "ip link set eth0 mtu 9000: Permission denied (EACCES): Permission denied")
    }

    @Test func lostRepliesRestartADumpOnAFreshSocket() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(
            transport: FakeKernel(log: log) { request, n in
                n == 0 ? [.failure(.ENOBUFS)] : try Self.dumpReply(request, names: ["lo"], interrupted: false)
            })
        #expect(try connection.links().map(\.name) == ["lo"])
        #expect(log.reopens == 1)
    }

    @Test func lostAckOfAChangeIsReportedNotRetried() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(transport: FakeKernel(log: log) { _, _ in [.failure(.ENOBUFS)] })
        let error = try #require(throws: NetlinkError.self) { try connection.deleteLink(named: "eth0") }
        #expect(error.errno == .ENOBUFS)
        #expect(log.requests.count == 1)
        #expect(log.reopens == 1)
    }

    @Test func silenceIsATimeout() throws {
        let connection = NetlinkConnection(transport: FakeKernel(log: FakeKernelLog()) { _, _ in [] })
        let error = try #require(throws: NetlinkError.self) { try connection.setUp("eth0") }
        #expect(error.errno == .ETIMEDOUT)
    }

    @Test func garbageReplyIsAnErrorNotACrash() throws {
        let connection = NetlinkConnection(
            transport: FakeKernel(log: FakeKernelLog()) { request, _ in
                var bytes = try NetlinkMessage.errorReply(to: request, errorNumber: 0, portID: 4242).encode()
                bytes[0] = 0xff  // nlmsg_len far beyond the datagram
                return [.datagram(bytes)]
            })
        let error = try #require(throws: NetlinkError.self) { try connection.setUp("eth0") }
        #expect(error.errno.rawValue == 74)  // EBADMSG
        #expect(error.detail?.contains("claims 255 bytes") == true)
    }

    /// Names Linux would refuse are rejected before anything is sent.
    @Test func invalidNamesNeverReachTheKernel() throws {
        let log = FakeKernelLog()
        let connection = NetlinkConnection(transport: FakeKernel(log: log) { request, _ in try Self.ack(request) })
        let sixteen = "bt0123456789abcd"
        #expect(sixteen.utf8.count == 16)
        let error = try #require(throws: BerthError.self) { try connection.createBridge(name: sixteen) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("Linux allows at most 15"))
        #expect(throws: BerthError.self) { try connection.createVeth(name: "ok", peerName: sixteen) }
        #expect(throws: BerthError.self) { try connection.rename("eth0", to: "a/b") }
        #expect(throws: BerthError.self) { try connection.setUp(.name("")) }
        #expect(throws: BerthError.self) { try connection.setUp(.index(0)) }
        #expect(throws: BerthError.self) { try connection.setMTU("eth0", to: 20) }
        #expect(throws: BerthError.self) { try connection.addRoute(destination: nil) }
        #expect(log.requests.isEmpty)
    }
}
