import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

// Streaming a child's output to async code: berthd only (berth-monitor, built with Embedded Swift,
// has no concurrency runtime and shares only Processes.swift).

/// A chunk of a child's output: stream 1 is stdout, 2 is stderr (Docker's stdcopy numbering).
public struct OutputChunk: Sendable {
    public var stream: UInt8
    public var bytes: [UInt8]

    public init(stream: UInt8, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

extension Processes {
    /// Runs `argv` with its output streamed as it comes (read on a dedicated thread, so no shared
    /// thread ever blocks). `onStart` gets the pid; `onExit` gets the shell-style status before the
    /// stream finishes. `input` is written to stdin as it comes; stdin closes when it ends (no
    /// input: stdin is closed at once).
    public static func stream(
        _ argv: [String], input: AsyncStream<[UInt8]>? = nil, onStart: @escaping @Sendable (pid_t) -> Void = { _ in },
        onExit: @escaping @Sendable (Int32) -> Void
    ) -> AsyncThrowingStream<OutputChunk, any Error> {
        AsyncThrowingStream { continuation in
            do {
                let inp = try pipe()
                let out = try pipe()
                let err = try pipe()
                let pid: pid_t
                do {
                    pid = try spawn(argv, stdin: inp.read, stdout: out.write, stderr: err.write)
                } catch {
                    for fd in [inp.read, inp.write, out.read, out.write, err.read, err.write] { Syscall.close(fd) }
                    throw error
                }
                Syscall.close(inp.read)
                Syscall.close(out.write)
                Syscall.close(err.write)
                onStart(pid)
                if let input {
                    // A writer thread: a process that does not read its stdin blocks only that thread.
                    let box = BlockingQueue<[UInt8]>()
                    Task {
                        for await chunk in input { box.put(chunk) }
                        box.close()
                    }
                    _ = try DedicatedThread.spawn(joinable: false) {
                        while let chunk = box.take() {
                            if (try? writeAll(inp.write, chunk)) == nil { break }
                        }
                        Syscall.close(inp.write)
                    }
                } else {
                    Syscall.close(inp.write)
                }
                _ = try DedicatedThread.spawn(joinable: false) {
                    var open: [Int32: UInt8] = [out.read: 1, err.read: 2]
                    while !open.isEmpty {
                        for fd in pollReadable(Array(open.keys), timeoutMs: 1000) {
                            let bytes = (try? read(fd)) ?? []
                            if bytes.isEmpty {
                                Syscall.close(fd)
                                open[fd] = nil
                            } else {
                                continuation.yield(OutputChunk(stream: open[fd] ?? 1, bytes: bytes))
                            }
                        }
                    }
                    let status = (try? wait(pid)) ?? 255
                    onExit(status)
                    continuation.finish()
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}

/// A minimal thread-safe queue a dedicated thread blocks on (`take` returns nil once closed and empty).
public final class BlockingQueue<T>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var items: [T] = []
    private var closed = false

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    public func put(_ item: T) {
        pthread_mutex_lock(mutex)
        items.append(item)
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    public func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    public func take() -> T? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.isEmpty && !closed { pthread_cond_wait(cond, mutex) }
        return items.isEmpty ? nil : items.removeFirst()
    }
}
