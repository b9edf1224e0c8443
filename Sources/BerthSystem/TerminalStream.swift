#if canImport(Glibc)
import Glibc
#endif

extension Processes {
    /// Like `stream`, for a program that puts its child on a pseudo-terminal and hands the master
    /// side over a console socket (`runc exec --tty --console-socket PATH`): the terminal's output
    /// streams as stream 1, `input` is written to it, and `onMaster` gets a duplicate of the master
    /// (for window sizes; the receiver closes it). The runtime's own error output streams as stream 2.
    public static func streamWithConsole(
        _ argv: [String], consoleSocket: String, input: AsyncStream<[UInt8]>?,
        onStart: @escaping @Sendable (pid_t) -> Void = { _ in }, onMaster: @escaping @Sendable (Int32) -> Void = { _ in },
        onExit: @escaping @Sendable (Int32) -> Void
    ) -> AsyncThrowingStream<OutputChunk, any Error> {
        AsyncThrowingStream { continuation in
            do {
                let listener = try UnixSocket.listen(consoleSocket)
                let err: (read: Int32, write: Int32)
                let pid: pid_t
                do {
                    err = try pipe()
                    do {
                        pid = try spawn(argv, stdin: nil, stdout: err.write, stderr: err.write)
                    } catch {
                        Syscall.close(err.read)
                        Syscall.close(err.write)
                        throw error
                    }
                } catch {
                    Syscall.close(listener)
                    _ = unlink(consoleSocket)
                    throw error
                }
                Syscall.close(err.write)
                onStart(pid)
                let queue = BlockingQueue<[UInt8]>()
                if let input {
                    Task {
                        for await chunk in input { queue.put(chunk) }
                        queue.close()
                    }
                } else {
                    queue.close()
                }
                _ = try DedicatedThread.spawn(joinable: false) {
                    var master: Int32?
                    // The listener is closed once used; its number may then come back as the master's.
                    var listening: Int32? = listener
                    var open: Set<Int32> = [err.read]
                    var status: Int32?
                    while status == nil || !open.isEmpty {
                        for fd in pollReadable(Array(open) + (listening.map { [$0] } ?? []), timeoutMs: 100) {
                            if fd == listening {
                                let accepted = try? UnixSocket.accept(fd)
                                listening = nil
                                Syscall.close(fd)
                                _ = unlink(consoleSocket)
                                guard let conn = accepted else { continue }
                                if let m = try? UnixSocket.receiveDescriptor(conn) {
                                    master = m
                                    open.insert(m)
                                    onMaster(dup(m))
                                    let w = dup(m)
                                    _ = try? DedicatedThread.spawn(joinable: false) {
                                        while let chunk = queue.take() {
                                            if (try? writeAll(w, chunk)) == nil { break }
                                        }
                                        Syscall.close(w)
                                    }
                                }
                                Syscall.close(conn)
                                continue
                            }
                            // A terminal whose other side closed reads EIO: its end of file.
                            let bytes = readOrEnd(fd) ?? []
                            if bytes.isEmpty {
                                open.remove(fd)
                                if fd != master { Syscall.close(fd) }
                            } else {
                                continuation.yield(OutputChunk(stream: fd == master ? 1 : 2, bytes: bytes))
                            }
                        }
                        if status == nil, let (reaped, s) = reapChild(pid) {
                            _ = reaped
                            status = s
                            // The runtime is gone: nothing more will connect.
                            if let l = listening {
                                Syscall.close(l)
                                _ = unlink(consoleSocket)
                                listening = nil
                            }
                        }
                    }
                    queue.close()
                    if let m = master { Syscall.close(m) }
                    onExit(status ?? 255)
                    continuation.finish()
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    /// Reaps `pid` if it has ended (non-blocking): its shell-style status.
    static func reapChild(_ pid: pid_t) -> (pid_t, Int32)? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == pid ? (pid, shellStatus(status)) : nil
    }
}
