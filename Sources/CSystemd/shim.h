#pragma once
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#include <sys/inotify.h>
#include <sys/socket.h>

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): the descriptor is close-on-exec from the start, so a plugin spawned
/// concurrently never inherits a client connection. glibc declares accept4 only under _GNU_SOURCE, which a
/// module shim cannot set without clashing with Glibc; the prototype is repeated here. The corresponding C
/// function is `accept4`.
static inline int finetuned_accept_cloexec(int fd) {
    extern int accept4(int, struct sockaddr *, socklen_t *, int);
    return accept4(fd, 0, 0, SOCK_CLOEXEC);
}
