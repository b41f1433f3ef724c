/*
 * hosts.h — a hosts file for `bin/bench run --hosts FILE` (README,
 * "Several machines"): the server's host and the client hosts, each with
 * the address to use and a launcher, the command prefix that runs a
 * command there. Read with inih (ini_lines.h):
 *
 *   [server NAME]   (or [server]) the host bin/server runs on, bound to address
 *   [client NAME]   a host one bin/loadgen runs on (one slice, --segment I/N)
 *     address    = 198.18.0.1       an IPv4 address: the server binds it, the
 *                                   clients' URL names it; required
 *     launcher   = ip netns exec a  words, no quoting; default "ssh ADDRESS";
 *                                   an ssh launcher always gets -o BatchMode=yes
 *                                   -o ConnectTimeout=5
 *     remote_dir = /tmp/showdown    bench copies bin/server, bin/loadgen and
 *                                   bin/bench there through the launcher and
 *                                   keeps the run's files there; none: the
 *                                   installed showdown-* on the host's PATH,
 *                                   the files in /tmp
 *
 * Errors name the file, line and column: an unknown section or key, a key
 * given twice, a missing or bad address, no server or no client, a
 * launcher that is empty, quoted or not a command here.
 */
#ifndef SHOWDOWN_BENCH_HOSTS_H
#define SHOWDOWN_BENCH_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTS_MAX_CLIENTS 32
#define HOSTS_MAX_WORDS   32 /* in a launcher */

struct host {
    char name[64];
    char address[64];
    char launcher[512]; /* as written, or the default */
    char words[512];    /* the launcher's words, NUL-separated, -o BatchMode=yes added to ssh */
    char *argv[HOSTS_MAX_WORDS];
    int argc;
    bool is_ssh;           /* ssh joins the command into one shell line */
    char remote_dir[1024]; /* "": none */
    unsigned line;         /* the section's header */
};

struct hosts {
    const char *file;
    struct host server;
    struct host clients[HOSTS_MAX_CLIENTS];
    unsigned nclients;
};

/* Reads file into h. Returns 0, or -1 with "FILE:LINE:COLUMN: reason" in err. */
int hosts_load(const char *file, struct hosts *h, char *err, size_t err_len);

/* The command line that runs cmd (NULL-terminated) on host: the launcher's
 * words, then cmd's, or for ssh cmd's words quoted for the remote shell as
 * one word. argv has room for max pointers (NULL-terminated); strings that
 * need it are kept in storage (cap bytes). Returns 0, or -1 when it does
 * not fit. */
int hosts_command(const struct host *host, char *const cmd[], char **argv, int max, char *storage,
                  size_t cap);

/* The path of showdown's binary NAME (server, loadgen, bench) on host:
 * remote_dir/NAME, else the installed showdown-NAME. */
void hosts_binary(const struct host *host, const char *name, char *out, size_t cap);

/* The folder for the run's files on host: remote_dir, else /tmp. */
const char *hosts_work_dir(const struct host *host);

/* "NAME@ADDRESS", for rows and logs. */
void hosts_label(const struct host *host, char *out, size_t cap);

#endif
