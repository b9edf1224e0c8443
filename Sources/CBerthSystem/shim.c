#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include "CBerthSystem.h"

int berth_setns(int fd, int nstype) { return setns(fd, nstype); }
int berth_unshare(int flags) { return unshare(flags); }
pid_t berth_gettid(void) { return (pid_t)syscall(SYS_gettid); }
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
