import BerthCore
import BerthEngine
import BerthStore
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// berthd's entry point: parse options, take the instance lock, open the store, reconcile the
/// kernel with it, serve the API until SIGTERM/SIGINT.
public enum BerthDaemonMain {
    public static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.contains("-h") || args.contains("--help") {
            print(DaemonOptions.usage)
            exit(0)
        }
        Processes.keepHeapsTrim()
        // A client that goes away mid-reply must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        // Before any thread exists, so every thread inherits the mask and only sigwait sees them.
        Signals.block([SIGTERM, SIGINT])
        let options: DaemonOptions
        do {
            options = try DaemonOptions.parse(args, env: currentEnvironment())
        } catch {
            Log.error("\(error.message)")
            exit(2)
        }
        let done = DispatchlessSemaphore()
        Task {
            let code: Int32
            do {
                code = try await Daemon(options: options).run()
            } catch let e as BerthError {
                Log.error(e.description)
                code = 1
            } catch {
                Log.error("\(error)")
                code = 1
            }
            done.signal(code)
        }
        exit(done.wait())
    }

    static func currentEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }
}

/// Blocks the main thread until the daemon's task finishes, carrying its exit code.
final class DispatchlessSemaphore: @unchecked Sendable {
    private var m = pthread_mutex_t()
    private var c = pthread_cond_t()
    private var code: Int32?
    init() {
        pthread_mutex_init(&m, nil)
        pthread_cond_init(&c, nil)
    }
    func signal(_ value: Int32) {
        pthread_mutex_lock(&m)
        code = value
        pthread_cond_signal(&c)
        pthread_mutex_unlock(&m)
    }
    func wait() -> Int32 {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        while code == nil { pthread_cond_wait(&c, &m) }
        return code ?? 1
    }
}

/// berthd's log lines on stderr: `berthd: level: message`.
public enum Log {
    public static func info(_ message: String) { write("info", message) }
    public static func warning(_ message: String) { write("warning", message) }
    public static func error(_ message: String) { write("error", message) }
    static func write(_ level: String, _ message: String) {
        let line = "\(Clock.rfc3339Now()) berthd \(level): \(message)\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
