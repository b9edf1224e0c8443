import BerthCore
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// An attached client's stdin and terminal size, delivered to the container through its monitor's
/// attach socket (`AttachMessage`).
extension ContainerEngine {
    /// Feeds `input` to the container's stdin. `docker run -i` attaches before it starts the
    /// container, so this waits (without reading) until the container runs. When the input ends the
    /// container's stdin is closed if it was created with `StdinOnce`.
    public func attachInput(_ ref: String, input: AsyncStream<[UInt8]>) async throws {
        let c = try container(ref)
        let spec = try spec(of: c)
        guard spec.openStdin else {
            for await _ in input {}
            return
        }
        let id = c.id
        let socketPath = files(id).attachSocket
        guard let fd = await waitToAttach(id, socketPath: socketPath) else { return }
        defer { Syscall.close(fd) }
        Processes.setNonBlocking(fd)
        for await chunk in input {
            guard await ContainerEngine.send(AttachMessage.stdin(chunk).encode(), to: fd) else { return }
        }
        if spec.stdinOnce == true {
            _ = await ContainerEngine.send(AttachMessage.closeStdin.encode(), to: fd)
        }
    }

    /// `POST /containers/{id}/resize`: the terminal's new size.
    public func resize(_ ref: String, rows: Int, cols: Int) async throws {
        let c = try container(ref)
        guard (0...65535).contains(rows), (0...65535).contains(cols) else {
            throw BerthError.invalid("a terminal size of \(rows)x\(cols) is invalid: height and width must be 0–65535")
        }
        guard try spec(of: c).tty else { return }
        guard c.state == .running else { throw BerthError.conflict("container \(c.name) is not running") }
        let fd = try UnixSocket.connect(files(c.id).attachSocket)
        defer { Syscall.close(fd) }
        Processes.setNonBlocking(fd)
        _ = await ContainerEngine.send(AttachMessage.resize(rows: UInt16(rows), cols: UInt16(cols)).encode(), to: fd)
    }

    /// Connects to the monitor's attach socket once the container runs; nil when it ended or went
    /// away first.
    func waitToAttach(_ id: String, socketPath: String) async -> Int32? {
        while !Task.isCancelled {
            guard let c = try? container(id) else { return nil }
            switch c.state {
            case .running:
                if let fd = try? UnixSocket.connect(socketPath) { return fd }
                // Running but the socket is gone: the container is ending.
                if !FileSystem.exists(socketPath) { return nil }
            case .created, .starting:
                break
            case .exited, .removing:
                // An attach made before `start` sees a created container as exited only if it never ran.
                if !c.startedAt.isEmpty || c.state == .removing { return nil }
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return nil
    }

    /// Writes all of `bytes` to a non-blocking socket, yielding while it is full. false when the
    /// monitor went away.
    static func send(_ bytes: [UInt8], to fd: Int32) async -> Bool {
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let n = try? Processes.writeSome(fd, rest) else { return false }
            if n == 0 {
                try? await Task.sleep(nanoseconds: 5_000_000)
            } else {
                rest = rest.dropFirst(n)
            }
        }
        return true
    }
}
