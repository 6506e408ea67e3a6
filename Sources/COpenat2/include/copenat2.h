#ifndef COPENAT2_H
#define COPENAT2_H

#include <stdint.h>

/// openat2(2) with RESOLVE_* flags, through syscall(2) (glibc has no wrapper, and Swift cannot call the
/// variadic syscall()). Returns the descriptor, or -1 with errno set (ENOSYS on kernels before 5.6).
int copenat2_open(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// The RESOLVE_* flags this build knows (0 where the headers lack them).
extern const uint64_t copenat2_resolve_beneath;
extern const uint64_t copenat2_resolve_no_symlinks;
extern const uint64_t copenat2_resolve_no_magiclinks;
/// O_PATH (Swift's Glibc module does not export it: it needs _GNU_SOURCE).
extern const int copenat2_o_path;

/// Raises the soft RLIMIT_NOFILE to the hard limit (the engine holds a descriptor per stage input file).
/// Returns 0, or -1 with errno set. In C: RLIMIT_NOFILE's type differs between glibc's feature modes.
int copenat2_raise_open_file_limit(void);

#endif
