import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// nftables' own library (libnftables.so.1, loaded at run time), used in-process instead of starting
/// `nft` for every change: the same parser and the same one-transaction-per-call batches as
/// `nft -f -`, minus a process start (several milliseconds each, several times per container start).
/// Runs in the calling thread's network namespace; calls are serialised (the library is not
/// thread-safe). Set `BERTH_NFT=exec` to always run the `nft` program instead.
public enum LibNftables {
    /// Whether the library loaded (and `BERTH_NFT` does not ask for the program).
    public static let available: Bool = {
        if let v = getenv("BERTH_NFT"), String(cString: v) == "exec" { return false }
        return berth_nft_available() == 1
    }()

    /// Runs `commands` (one batch); the result is shaped like the `nft` program's, so callers read
    /// errors the same way. nil when the library is unavailable.
    public static func run(_ commands: String, json: Bool = false, handles: Bool = false) -> SubprocessResult? {
        // libnftables waits for the kernel with select(2): a socket numbered 1024 or above would abort
        // the process (FD_SET), so with the low numbers nearly used up, the program runs instead.
        guard available, Descriptors.lowestFree() < Descriptors.selectLimit - 64 else { return nil }
        var out: UnsafeMutablePointer<CChar>?
        var err: UnsafeMutablePointer<CChar>?
        let rc = berth_nft_run(commands, json ? 1 : 0, handles ? 1 : 0, &out, &err)
        defer {
            free(out)
            free(err)
        }
        if rc == -2 { return nil }
        let stdout = out.map { String(cString: $0) } ?? ""
        var stderr = err.map { String(cString: $0) } ?? ""
        if rc == -3 { stderr = "libnftables could not make a context" }
        return SubprocessResult(status: rc == 0 ? 0 : 1, stdout: stdout, stderr: stderr)
    }
}
