import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

extension Subprocess {
    /// Starts `argv` as a daemon: its own session (so it outlives the caller's terminal and process
    /// group), stdin from /dev/null, stdout and stderr appended to `logPath`. Returns its pid; does not wait.
    public static func spawnDetached(_ argv: [String], logPath: String, environment: [String]? = nil) throws -> Int32 {
        precondition(!argv.isEmpty, "spawnDetached needs a program")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26): the child calls setsid().
        let setsid: Int32 = 0x80
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | setsid))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { cEnv?.forEach { free($0) } }
        var pid = pid_t()
        let rc: Int32 =
            if let cEnv {
                posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, cEnv)
            } else {
                posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ)
            }
        if rc != 0 { throw SystemCallError(call: "start \(argv[0])", errno: Errno(rawValue: rc)) }
        return pid
    }
}
