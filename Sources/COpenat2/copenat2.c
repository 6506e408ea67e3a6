#define _GNU_SOURCE
#include "copenat2.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

int copenat2_open(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

const uint64_t copenat2_resolve_beneath = RESOLVE_BENEATH;
const uint64_t copenat2_resolve_no_symlinks = RESOLVE_NO_SYMLINKS;
const uint64_t copenat2_resolve_no_magiclinks = RESOLVE_NO_MAGICLINKS;
#else
int copenat2_open(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    (void)dirfd; (void)path; (void)flags; (void)mode; (void)resolve;
    errno = ENOSYS;
    return -1;
}

const uint64_t copenat2_resolve_beneath = 0;
const uint64_t copenat2_resolve_no_symlinks = 0;
const uint64_t copenat2_resolve_no_magiclinks = 0;
#endif

const int copenat2_o_path = O_PATH;

int copenat2_raise_open_file_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur >= limit.rlim_max) return 0;
    limit.rlim_cur = limit.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &limit);
}
