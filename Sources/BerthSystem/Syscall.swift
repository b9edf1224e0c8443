#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// The one place berth calls libc functions that report failure through `-1` and `errno`.
public enum Syscall {
    /// Runs `body` until it does not fail with EINTR. A result of -1 becomes a `SystemCallError`
    /// naming `call` (say `"open /run/berth/netns/abc"`), so the error says what was attempted.
    ///
    /// EBADF and EFAULT mean berth passed a closed descriptor or a bad pointer: a bug, not a runtime
    /// condition, so they stop the process instead of being handled as ordinary failures.
    @discardableResult
    public static func retrying<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T)
        throws(SystemCallError) -> T
    {
        while true {
            let r = body()
            if r != -1 { return r }
            let e = Errno.current
            if e == .EINTR { continue }
            if e == .EFAULT { preconditionFailure("\(call()) returned EFAULT: berth passed a bad pointer") }
            throw SystemCallError(call: call(), errno: e)
        }
    }

    /// Closes a descriptor, ignoring EINTR (Linux always releases the descriptor, so retrying would be wrong).
    public static func close(_ fd: Int32) {
        _ = libcClose(fd)
    }
}

// libc's read(2), write(2) and close(2) for the types whose own `read`, `write` and `close` hide them.
// Not `Glibc.read`: berth-monitor's Embedded Swift build has no Glibc module (it imports CBerthLibc).
func libcRead(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}
func libcWrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int { write(fd, buffer.baseAddress, buffer.count) }
func libcClose(_ fd: Int32) -> Int32 { close(fd) }
