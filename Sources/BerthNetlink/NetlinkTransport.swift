import BerthSystem

/// Moves netlink datagrams between a `NetlinkConnection` and the kernel. The real one is a NETLINK_ROUTE
/// socket (`NetlinkSocket`); tests and the engine's unit tier substitute a fake that answers with golden
/// bytes. The connection calls it only while holding its lock, so implementations need no locking.
public protocol NetlinkTransport: AnyObject {
    /// This end's port id (`nl_pid` the kernel assigned at bind), which every reply must carry.
    var portID: UInt32 { get }
    /// Sends one datagram to the kernel.
    func send(_ bytes: [UInt8]) throws(SystemCallError)
    /// Receives one whole datagram and the sender's port id (0 for the kernel). Throws EAGAIN when the
    /// receive timeout passes, ENOBUFS when the kernel dropped messages for this socket.
    func receive() throws(SystemCallError) -> (bytes: [UInt8], senderPortID: UInt32)
    /// Replaces the channel with a fresh one, discarding anything queued (used after ENOBUFS, when what is
    /// still queued can no longer be trusted).
    func reopen() throws
}
