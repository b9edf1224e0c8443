import BerthCore

/// Linux capabilities as Docker grants them: a default set, `--cap-add` / `--cap-drop`, `--privileged`.
public enum Capabilities {
    /// Every capability of Linux 6.x, in kernel order (capabilities(7)), as `CAP_…` names.
    public static let all: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ].map { "CAP_" + $0 }

    /// Docker's default set (moby `oci/caps/defaults.go`).
    public static let defaults: [String] = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ].map { "CAP_" + $0 }

    /// Turns a user's spelling ("net_admin", "CAP_NET_ADMIN", "all") into "CAP_NET_ADMIN" or "ALL".
    public static func normalize(_ name: String) throws -> String {
        let upper = name.trimmingSpaces.uppercased()
        if upper == "ALL" { return "ALL" }
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        guard all.contains(full) else {
            throw BerthError.invalid("unknown capability \"\(name)\": see capabilities(7)")
        }
        return full
    }

    /// The set a container gets, as Docker computes it: `privileged` means every capability;
    /// `--cap-add ALL` starts from every capability and removes the drops; `--cap-drop ALL` starts
    /// from nothing and adds the adds; otherwise defaults minus drops plus adds (an add wins over
    /// a drop of the same name). The result is in kernel order.
    public static func effective(add: [String], drop: [String], privileged: Bool) throws -> [String] {
        let adds = try add.map(normalize)
        let drops = try drop.map(normalize)
        if privileged { return all }
        var set: Set<String>
        if adds.contains("ALL") {
            set = Set(all).subtracting(drops)
        } else if drops.contains("ALL") {
            set = Set(adds)
        } else {
            set = Set(defaults).subtracting(drops).union(adds)
        }
        return all.filter { set.contains($0) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
