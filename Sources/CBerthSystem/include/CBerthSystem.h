#ifndef CBERTHSYSTEM_H
#define CBERTHSYSTEM_H
// The few libc calls Swift's Glibc module does not expose (they sit behind _GNU_SOURCE, or are
// variadic or macros), wrapped as plain functions. Everything else is called from Swift through
// BerthSystem. No libc header is included here (pid_t is int): berth-monitor, built with Embedded
// Swift, imports libc's headers through its own module (CBerthLibc), and two modules that both
// include them clash there.
#include <stddef.h>

int berth_setns(int fd, int nstype);
int berth_unshare(int flags);
int berth_gettid(void);
int berth_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data);
int berth_umount2(const char *target, int flags);
int berth_pipe2(int fds[2], int flags);
/// pidfd_open(2): a descriptor that polls readable once the process has ended (-1 with errno).
int berth_pidfd_open(int pid);
/// pidfd_send_signal(2): signals the process the pidfd refers to, never one that reused its pid.
int berth_pidfd_send_signal(int pidfd, int sig);
/// 1 if path is on nsfs (a namespace pin), 0 if not, -1 with errno on failure.
int berth_is_nsfs(const char *path);

// Namespace type flags (linux/sched.h), exported as functions so Swift sees plain values.
int berth_clone_newnet(void);
int berth_clone_newns(void);
int berth_clone_newpid(void);
int berth_clone_newuts(void);
int berth_clone_newipc(void);
int berth_clone_newcgroup(void);
int berth_clone_fs(void);
unsigned long berth_ms_bind(void);
unsigned long berth_ms_rec(void);
unsigned long berth_ms_private(void);
unsigned long berth_ms_slave(void);
unsigned long berth_ms_shared(void);
int berth_mnt_detach(void);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to the caller.
int berth_set_child_subreaper(void);
int berth_set_pdeathsig(int sig);
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size);
/// lgetxattr(2): the attribute's size (-1 with errno).
long berth_lgetxattr(const char *path, const char *name, void *value, size_t size);

int berth_unix_listen(const char *path);
int berth_unix_connect(const char *path);
int berth_accept(int fd);
int berth_recv_fd(int sock);
int berth_set_winsize(int fd, unsigned short rows, unsigned short cols);
int berth_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
/// libnftables in-process (dlopen'd): 1 when it can be used.
int berth_nft_available(void);
/// Runs nft commands (one batch) in the calling thread's network namespace. Returns nft's status
/// (0 = success), -2 when libnftables is unavailable; *out and *err are malloc'd (free them).
int berth_nft_run(const char *commands, int json, int handles, char **out, char **err);

/// Installs a SIGCHLD handler (SA_RESTART) that writes a byte to a non-blocking close-on-exec pipe
/// and returns the pipe's read end (or -1 with errno): poll(2) on it wakes up when a child ends, so a
/// process that waits for children and descriptors together can block without a timeout. Once per process.
int berth_child_exit_pipe(void);
/// open(2) and fcntl(2) with an int argument: Swift imports neither variadic function (the Glibc
/// module wraps them; Embedded Swift has no Glibc module).
int berth_open(const char *path, int flags, unsigned int mode);
int berth_fcntl(int fd, int cmd, int arg);
/// The process's environment (`environ`), for posix_spawn.
char **berth_environ(void);
/// signal(sig, SIG_IGN) (SIG_IGN is a cast macro Swift cannot import).
int berth_ignore_signal(int sig);
/// malloc_trim(0): returns freed heap memory to the kernel.
int berth_malloc_trim(void);
/// mallopt(M_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD) set to `bytes` each (0 on success).
int berth_malloc_fixed_thresholds(int bytes);
/// close_range(2): closes every descriptor from `first` to `last`; -1 with ENOSYS before Linux 5.9.
int berth_close_range(unsigned int first, unsigned int last);
#endif
