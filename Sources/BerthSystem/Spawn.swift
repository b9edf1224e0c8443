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
        return try spawn(argv, actions: &actions, environment: environment, newSession: true)
    }
}
