/* listen.c — see listen.h. */
#define _GNU_SOURCE /* accept4 */
#include "listen.h"

#include "../common/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int listen_tcp(const char *host, unsigned port, int backlog, bool reuseport, unsigned *bound_port,
               char *err, size_t err_len) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port_str[16];
    int fd = -1, one = 1, rc;

    snprintf(port_str, sizeof(port_str), "%u", port);
    rc = getaddrinfo(host, port_str, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_len, "--host %s: %s", host, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        goto fail;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
        snprintf(err, err_len, "SO_REUSEADDR: %s", strerror(errno));
        goto fail;
    }
    /* libuv 1.44 has no UV_TCP_REUSEPORT: set it here, before bind. */
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        snprintf(err, err_len, "SO_REUSEPORT: %s", strerror(errno));
        goto fail;
    }
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
        snprintf(err, err_len, "cannot bind %s:%u: %s", host, port, strerror(errno));
        goto fail;
    }
    if (listen(fd, backlog) < 0) {
        snprintf(err, err_len, "listen: %s", strerror(errno));
        goto fail;
    }

    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
        snprintf(err, err_len, "getsockname: %s", strerror(errno));
        goto fail;
    }
    *bound_port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    freeaddrinfo(res);
    return fd;

fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

int listen_announce(const char *host, unsigned port, int ready_fd) {
    printf("listening on %s:%u\n", host, port);
    fflush(stdout);
    if (ready_fd < 0)
        return 0;

    char line[16];
    int len = snprintf(line, sizeof(line), "%u\n", port);
    ssize_t n = write(ready_fd, line, (size_t)len);
    close(ready_fd);
    return n == len ? 0 : -1;
}

static int reserve_fd = -1;
static unsigned long shed_count;
static uint64_t shed_logged_us;

static void reserve_open(void) {
    if (reserve_fd < 0)
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int listen_accept(int listen_fd, int flags) {
    reserve_open(); /* the first call comes before any exhaustion */
    int fd = accept4(listen_fd, NULL, NULL, flags);
    if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || reserve_fd < 0)
        return fd;
    int saved = errno;
    close(reserve_fd);
    reserve_fd = -1;
    int shed = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (shed >= 0) {
        close(shed);
        shed_count++;
    }
    reserve_open();
    uint64_t now = clock_now_us();
    if (shed >= 0 && now - shed_logged_us >= 1000000) {
        shed_logged_us = now;
        fprintf(stderr, "server: out of file descriptors (%s): shedding connections (%lu so far)\n",
                strerror(saved), shed_count);
    }
    errno = saved;
    return -1;
}

unsigned long listen_shed_count(void) {
    return shed_count;
}
