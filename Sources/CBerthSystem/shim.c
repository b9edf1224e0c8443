#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "CBerthSystem.h"

int berth_setns(int fd, int nstype) { return setns(fd, nstype); }
int berth_unshare(int flags) { return unshare(flags); }
int berth_gettid(void) { return (int)syscall(SYS_gettid); }
int berth_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data) {
    return mount(source, target, fstype, flags, data);
}
int berth_umount2(const char *target, int flags) { return umount2(target, flags); }
int berth_clone_newnet(void) { return CLONE_NEWNET; }
int berth_clone_newns(void) { return CLONE_NEWNS; }
int berth_clone_newpid(void) { return CLONE_NEWPID; }
int berth_clone_newuts(void) { return CLONE_NEWUTS; }
int berth_clone_newipc(void) { return CLONE_NEWIPC; }
int berth_clone_newcgroup(void) { return CLONE_NEWCGROUP; }
int berth_clone_fs(void) { return CLONE_FS; }
unsigned long berth_ms_bind(void) { return MS_BIND; }
unsigned long berth_ms_rec(void) { return MS_REC; }
unsigned long berth_ms_private(void) { return MS_PRIVATE; }
unsigned long berth_ms_slave(void) { return MS_SLAVE; }
unsigned long berth_ms_shared(void) { return MS_SHARED; }
int berth_mnt_detach(void) { return MNT_DETACH; }
int berth_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
int berth_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
int berth_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int berth_is_nsfs(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) return -1;
    return st.f_type == 0x6e736673 ? 1 : 0; // NSFS_MAGIC
}
#include <sys/prctl.h>
#include <time.h>
int berth_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int berth_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }
#include <sys/xattr.h>
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}
long berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return (long)lgetxattr(path, name, value, size);
}

/* Unix stream sockets and terminals: the console socket runc hands a pty master to, the attach
   socket berthd feeds a container's stdin through, and window sizes. Paths longer than sun_path
   are reached through /proc/self/fd/N/NAME of their directory. */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int berth_unix_address(const char *path, struct sockaddr_un *addr, int *dirfd) {
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    *dirfd = -1;
    if (strlen(path) < sizeof(addr->sun_path)) {
        strcpy(addr->sun_path, path);
        return 0;
    }
    const char *slash = strrchr(path, '/');
    if (!slash) { errno = ENAMETOOLONG; return -1; }
    char dir[4096];
    size_t dlen = (size_t)(slash - path);
    if (dlen == 0 || dlen >= sizeof(dir)) { errno = ENAMETOOLONG; return -1; }
    memcpy(dir, path, dlen);
    dir[dlen] = 0;
    *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0) return -1;
    int n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd, slash + 1);
    if (n < 0 || (size_t)n >= sizeof(addr->sun_path)) { close(*dirfd); *dirfd = -1; errno = ENAMETOOLONG; return -1; }
    return 0;
}

int berth_unix_listen(const char *path) {
    struct sockaddr_un addr;
    int dirfd;
    if (berth_unix_address(path, &addr, &dirfd) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { if (dirfd >= 0) close(dirfd); return -1; }
    unlink(addr.sun_path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0) {
        int e = errno; close(fd); if (dirfd >= 0) close(dirfd); errno = e; return -1;
    }
    if (dirfd >= 0) close(dirfd);
    chmod(path, 0600);
    return fd;
}

int berth_unix_connect(const char *path) {
    struct sockaddr_un addr;
    int dirfd;
    if (berth_unix_address(path, &addr, &dirfd) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { if (dirfd >= 0) close(dirfd); return -1; }
    int r;
    do { r = connect(fd, (struct sockaddr *)&addr, sizeof(addr)); } while (r != 0 && errno == EINTR);
    int e = errno;
    if (dirfd >= 0) close(dirfd);
    if (r != 0) { close(fd); errno = e; return -1; }
    return fd;
}

int berth_accept(int fd) {
    int r;
    do { r = accept4(fd, NULL, NULL, SOCK_CLOEXEC); } while (r < 0 && errno == EINTR);
    return r;
}

/* Receives one descriptor sent with SCM_RIGHTS (runc's --console-socket protocol). */
int berth_recv_fd(int sock) {
    char data[256];
    struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
            return fd;
        }
    }
    errno = EBADMSG;
    return -1;
}

int berth_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int berth_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

// libnftables, loaded at run time (no build-time dependency; nft's own library, so the same parser
// and the same one-batch-per-call transactions as `nft -f -`, without starting a process per change).
#include <dlfcn.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
struct nft_ctx;
static pthread_mutex_t nft_lock = PTHREAD_MUTEX_INITIALIZER;
static int nft_loaded = 0;  // 0 = not tried, 1 = usable, -1 = unavailable
static struct nft_ctx *(*nft_ctx_new_p)(uint32_t);
static void (*nft_ctx_free_p)(struct nft_ctx *);
static void (*nft_ctx_output_set_flags_p)(struct nft_ctx *, unsigned int);
static int (*nft_ctx_buffer_output_p)(struct nft_ctx *);
static int (*nft_ctx_buffer_error_p)(struct nft_ctx *);
static const char *(*nft_ctx_get_output_buffer_p)(struct nft_ctx *);
static const char *(*nft_ctx_get_error_buffer_p)(struct nft_ctx *);
static int (*nft_run_cmd_from_buffer_p)(struct nft_ctx *, const char *);
static int (*nft_ctx_unbuffer_output_p)(struct nft_ctx *);
static int (*nft_ctx_unbuffer_error_p)(struct nft_ctx *);
// The context of the process's own network namespace, kept from call to call (see berth_nft_run).
static struct nft_ctx *kept_ctx;

static int nft_load(void) {
    if (nft_loaded) return nft_loaded;
    void *lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) { nft_loaded = -1; return -1; }
#define NFT_SYM(name) if (!(name##_p = dlsym(lib, #name))) { nft_loaded = -1; return -1; }
    NFT_SYM(nft_ctx_new) NFT_SYM(nft_ctx_free) NFT_SYM(nft_ctx_output_set_flags) NFT_SYM(nft_ctx_buffer_output)
    NFT_SYM(nft_ctx_buffer_error) NFT_SYM(nft_ctx_get_output_buffer) NFT_SYM(nft_ctx_get_error_buffer)
    NFT_SYM(nft_run_cmd_from_buffer) NFT_SYM(nft_ctx_unbuffer_output) NFT_SYM(nft_ctx_unbuffer_error)
#undef NFT_SYM
    nft_loaded = 1;
    return 1;
}

int berth_nft_available(void) {
    pthread_mutex_lock(&nft_lock);
    int ok = nft_load() == 1;
    pthread_mutex_unlock(&nft_lock);
    return ok;
}

// Whether the calling thread is in the process's own network namespace (the main thread's).
static int nft_in_own_namespace(void) {
    struct stat mine, process;
    if (stat("/proc/thread-self/ns/net", &mine) != 0 || stat("/proc/self/ns/net", &process) != 0) return 0;
    return mine.st_dev == process.st_dev && mine.st_ino == process.st_ino;
}

// libnftables opens its netlink socket without close-on-exec: mark every netfilter netlink socket
// among the low descriptors, so no child process inherits it.
static void nft_mark_sockets_cloexec(void) {
    for (int fd = 3; fd < 1024; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || (flags & FD_CLOEXEC)) continue;
        int domain = 0, protocol = 0;
        socklen_t len = sizeof domain;
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_NETLINK) continue;
        len = sizeof protocol;
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 || protocol != NETLINK_NETFILTER) continue;
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

int berth_nft_run(const char *commands, int json, int handles, char **out, char **err) {
    *out = NULL;
    *err = NULL;
    pthread_mutex_lock(&nft_lock);
    if (nft_load() != 1) { pthread_mutex_unlock(&nft_lock); return -2; }
    // A context opens its netlink socket in the calling thread's network namespace. The process's own
    // namespace (every change to berth's table) keeps one context: closing a netfilter socket after a
    // batch that deleted anything waits for the kernel to free what it deleted (an RCU grace period,
    // 5-15 ms here), which a context per call paid on every container removal. Other namespaces (a
    // container's resolver redirect) get a context for the call.
    int keep = nft_in_own_namespace();
    struct nft_ctx *ctx = keep ? kept_ctx : NULL;
    if (!ctx) {
        ctx = nft_ctx_new_p(0);
        if (!ctx) { pthread_mutex_unlock(&nft_lock); return -3; }
        if (keep) {
            kept_ctx = ctx;
            nft_mark_sockets_cloexec();
        }
    }
    nft_ctx_output_set_flags_p(ctx, (json ? (1u << 4) : 0) | (handles ? (1u << 3) : 0));
    nft_ctx_buffer_output_p(ctx);
    nft_ctx_buffer_error_p(ctx);
    int rc = nft_run_cmd_from_buffer_p(ctx, commands);
    const char *o = nft_ctx_get_output_buffer_p(ctx);
    const char *e = nft_ctx_get_error_buffer_p(ctx);
    *out = strdup(o ? o : "");
    *err = strdup(e ? e : "");
    nft_ctx_unbuffer_output_p(ctx);
    nft_ctx_unbuffer_error_p(ctx);
    if (!keep) nft_ctx_free_p(ctx);
    pthread_mutex_unlock(&nft_lock);
    return rc;
}

static int child_exit_write_fd = -1;

static void child_exit_handler(int sig) {
    (void)sig;
    int saved = errno;
    char b = 0;
    // Non-blocking: a full pipe already says "a child ended".
    ssize_t r = write(child_exit_write_fd, &b, 1);
    (void)r;
    errno = saved;
}

int berth_child_exit_pipe(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    child_exit_write_fd = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = child_exit_handler;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        child_exit_write_fd = -1;
        errno = e;
        return -1;
    }
    return fds[0];
}

int berth_open(const char *path, int flags, unsigned int mode) { return open(path, flags, (mode_t)mode); }
int berth_fcntl(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }
char **berth_environ(void) { return environ; }
int berth_ignore_signal(int sig) { return signal(sig, SIG_IGN) == SIG_ERR ? -1 : 0; }

#include <malloc.h>
int berth_malloc_trim(void) { return malloc_trim(0); }
int berth_malloc_fixed_thresholds(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes) == 1 && mallopt(M_TRIM_THRESHOLD, bytes) == 1 ? 0 : -1;
}

int berth_close_range(unsigned int first, unsigned int last) {
#ifdef SYS_close_range
    return (int)syscall(SYS_close_range, first, last, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}
