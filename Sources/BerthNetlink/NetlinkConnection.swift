// Callers of BerthNetlink use the wire module's value types (InterfaceFlags, OperState, RouteScope…) in
// results, so they come with it.
@_exported import BerthNetlinkWire
import BerthSystem
import Synchronization

/// A strict rtnetlink connection to one network namespace: the only way berth changes links, addresses and
/// routes.
///
/// Every request gets a fresh sequence number and NLM_F_ACK; a reply is accepted only if it comes from the
/// kernel (sender port 0) and carries this request's sequence number and this socket's port id (anything
/// else is a stale or foreign message and is skipped). Multi-part dumps are read to NLMSG_DONE; a dump the
/// kernel marks NLM_F_DUMP_INTR (the table changed while it ran) is repeated whole, at most
/// `maxDumpAttempts` times. Failures are `NetlinkError`s naming the operation in `ip` syntax.
///
/// Thread-safety: requests are serialised by a lock and use blocking send/recv, which the kernel answers
/// at once; the connection may be shared by many tasks. The socket closes when the connection is released.
public final class NetlinkConnection: Sendable {
    private struct State {
        var transport: any NetlinkTransport
        var sequence: UInt32
    }

    private let state: Mutex<State>
    /// The namespace this connection talks to; nil for the process's own.
    public let namespace: NetworkNamespace?

    /// How many times an interrupted (inconsistent) dump is repeated before giving up.
    public static let maxDumpAttempts = 10

    /// Opens a NETLINK_ROUTE socket inside `namespace` (created on a dedicated thread that entered it; the
    /// calling thread never switches namespace), or in the calling process's namespace when nil.
    public init(namespace: NetworkNamespace? = nil) throws {
        let socket = try NetlinkSocket(namespace: namespace)
        self.namespace = namespace
        state = Mutex(State(transport: socket, sequence: NetlinkConnection.initialSequence()))
    }

    /// A connection over any transport (a fake kernel in unit tests). `namespace` only labels errors.
    public init(transport: sending any NetlinkTransport, namespace: NetworkNamespace? = nil) {
        self.namespace = namespace
        state = Mutex(State(transport: transport, sequence: 1))
    }

    /// Starts from a random sequence number, so replies meant for an earlier socket with the same port id
    /// are not mistaken for ours.
    private static func initialSequence() -> UInt32 {
        UInt32.random(in: 1...(UInt32.max / 2))
    }

    /// `operation` with the namespace appended when this connection is not in the process's own.
    func describe(_ operation: String) -> String {
        guard let namespace else { return operation }
        return "\(operation) (in netns \(namespace.path))"
    }

    // MARK: requests

    /// Sends a request with NLM_F_REQUEST|NLM_F_ACK and returns the replies that came before the ACK
    /// (a GET answers with one message, a change with none). Throws `NetlinkError` on an NLMSG_ERROR.
    @discardableResult
    public func request(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        try exchange(message, operation: describe(operation), dump: false)
    }

    /// Sends a dump request (NLM_F_DUMP|NLM_F_ACK) and returns every message up to NLMSG_DONE, repeating the
    /// whole dump when the kernel reports it inconsistent (NLM_F_DUMP_INTR).
    public func dump(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        try exchange(message, operation: describe(operation), dump: true)
    }

    private func exchange(_ message: NetlinkMessage, operation: String, dump: Bool) throws(NetlinkError)
        -> [NetlinkMessage]
    {
        // GETs change nothing, so a reply lost to ENOBUFS can simply be asked for again.
        let isRead = [NetlinkMessageType.getLink, .getAddress, .getRoute].contains(message.header.type)
        return try state.withLock { (state: inout State) throws(NetlinkError) -> [NetlinkMessage] in
            var attempt = 0
            while true {
                attempt += 1
                state.sequence = state.sequence == UInt32.max ? 1 : state.sequence + 1
                var request = message
                request.header.sequence = state.sequence
                request.header.portID = 0
                request.header.flags.formUnion(dump ? [.request, .ack, .dump] : [.request, .ack])
                let outcome = try Self.perform(request, on: state.transport, operation: operation, dump: dump)
                switch outcome {
                case .replies(let replies):
                    return replies
                case .interrupted:
                    if attempt >= NetlinkConnection.maxDumpAttempts {
                        throw NetlinkError(
                            operation: operation, errno: .EINTR,
                            detail: "the kernel's table kept changing: \(attempt) dumps in a row were interrupted")
                    }
                case .lostReplies:
                    // The kernel dropped messages for this socket; what is still queued cannot be trusted.
                    do {
                        try state.transport.reopen()
                    } catch {
                        throw NetlinkError(
                            operation: operation, errno: .ENOBUFS,
                            detail: "replies were lost and the netlink socket could not be reopened: \(error)")
                    }
                    guard dump || isRead else {
                        throw NetlinkError(
                            operation: operation, errno: .ENOBUFS,
                            detail: "the kernel's reply was lost (receive buffer overflow); "
                                + "the change may or may not have been applied")
                    }
                    if attempt >= NetlinkConnection.maxDumpAttempts {
                        throw NetlinkError(
                            operation: operation, errno: .ENOBUFS,
                            detail: "the kernel's replies were lost \(attempt) times in a row (receive buffer overflow)"
                        )
                    }
                }
            }
        }
    }

    private enum Outcome {
        case replies([NetlinkMessage])
        case interrupted
        case lostReplies
    }

    /// One round trip: send, then read until the ACK/error (or NLMSG_DONE for a dump).
    private static func perform(
        _ request: NetlinkMessage, on transport: any NetlinkTransport, operation: String, dump: Bool
    ) throws(NetlinkError) -> Outcome {
        let bytes: [UInt8]
        do {
            bytes = try request.encode()
        } catch {
            throw NetlinkError(operation: operation, errno: .EINVAL, detail: "request could not be encoded: \(error)")
        }
        do {
            try transport.send(bytes)
        } catch {
            throw NetlinkError(operation: operation, errno: error.errno, detail: "sending the request failed")
        }
        let sequence = request.header.sequence
        var replies: [NetlinkMessage] = []
        var interrupted = false
        while true {
            let datagram: [UInt8]
            let sender: UInt32
            do {
                (datagram, sender) = try transport.receive()
            } catch {
                if error.errno == .ENOBUFS { return .lostReplies }
                if error.errno == .EAGAIN {
                    throw NetlinkError(
                        operation: operation, errno: .ETIMEDOUT,
                        detail: "no reply from the kernel within \(NetlinkSocket.receiveTimeoutSeconds) s")
                }
                throw NetlinkError(operation: operation, errno: error.errno, detail: "receiving the reply failed")
            }
            // Only the kernel (port 0) answers requests; anything else is another process writing to us.
            guard sender == 0 else { continue }
            let messages: [NetlinkMessage]
            do {
                messages = try NetlinkMessage.decode(datagram: datagram)
            } catch {
                throw NetlinkError(operation: operation, errno: .badMessage, detail: "\(error)")
            }
            for message in messages {
                // A reply to an earlier request abandoned midway (a thrown error) still carries its old
                // sequence number: skip it rather than mistake it for ours.
                guard message.header.sequence == sequence, message.header.portID == transport.portID else { continue }
                if message.header.flags.contains(.dumpInterrupted) { interrupted = true }
                switch message.payload {
                case .error(let error):
                    if error.isAcknowledgement {
                        // A dump is not acknowledged after NLMSG_DONE; a plain request ends here.
                        if !dump { return .replies(replies) }
                        continue
                    }
                    throw NetlinkError(
                        operation: operation, errno: Errno(rawValue: error.errorNumber),
                        kernelMessage: error.extendedAck?.message)
                case .done(let done):
                    guard dump else { continue }
                    if done.status < 0 {
                        throw NetlinkError(
                            operation: operation,
                            errno: Errno(rawValue: done.status == Int32.min ? Int32.max : -done.status),
                            kernelMessage: done.extendedAck?.message)
                    }
                    return interrupted ? .interrupted : .replies(replies)
                case .noop:
                    continue
                default:
                    replies.append(message)
                }
            }
        }
    }
}
