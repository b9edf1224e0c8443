#ifndef CBERTHLIBC_H
#define CBERTHLIBC_H
// berth-monitor only (built with Embedded Swift, see Package.swift): the libc declarations its
// sources use, which the other modules get from the toolchain's Glibc module (Embedded Swift has
// none), and in embedded_runtime.c the one C function the Embedded standard library expects from the
// platform that glibc does not provide.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#endif
