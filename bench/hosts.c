/*
 * hosts.c — a hosts file (see hosts.h), and the command lines that run a
 * command on a host through its launcher.
 */
#define _GNU_SOURCE
#include "hosts.h"
#include "ini_lines.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reader {
    struct ini_lines lines; /* first: inih's stream and handler both get the reader */
    struct hosts *h;
    struct host *current;
    unsigned current_line; /* the current host's section header */
    bool has_server;
    bool has_key[3]; /* the current host's address, launcher, remote_dir */
};

/* Whether command is a file here that can be run (a name: on $PATH). */
static bool is_command(const char *command) {
    if (strchr(command, '/'))
        return access(command, X_OK) == 0;
    const char *path = getenv("PATH");
    char file[4096];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(file, sizeof(file), "%.*s/%s", (int)len, p, command);
        if (access(file, X_OK) == 0)
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

/* Splits host->launcher into host->argv (no quoting: words only); an ssh
 * launcher gets -o BatchMode=yes -o ConnectTimeout=5 after its first word,
 * so that a password prompt or a host that does not answer fails within
 * the probe's limit (remote.c) instead of waiting. */
static void split_launcher(struct host *host) {
    char *out = host->words, *end = host->words + sizeof(host->words);
    host->argc = 0;
    for (const char *p = host->launcher; *p && host->argc < HOSTS_MAX_WORDS - 5;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (!len || out + len + 1 > end)
            break;
        memcpy(out, p, len);
        out[len] = '\0';
        host->argv[host->argc++] = out;
        out += len + 1;
        p += len;
        if (host->argc == 1 && host->is_ssh) {
            host->argv[host->argc++] = "-o";
            host->argv[host->argc++] = "BatchMode=yes";
            host->argv[host->argc++] = "-o";
            host->argv[host->argc++] = "ConnectTimeout=5";
        }
    }
    host->argv[host->argc] = NULL;
}

static int take_launcher(struct reader *r, struct host *host, const char *value) {
    unsigned column = ini_lines_column(&r->lines, value);
    size_t bad = strcspn(value, "'\"\\`$;|&<>(){}");
    if (value[bad])
        return ini_lines_fail(&r->lines, r->lines.line, column + (unsigned)bad,
                              "launcher: '%c': no quoting or shell syntax, words only "
                              "(e.g. ip netns exec NS, ssh -p 2222 HOST, kubectl exec POD --)",
                              value[bad]);
    char first[256];
    snprintf(first, sizeof(first), "%.*s", (int)strcspn(value, " \t"), value);
    if (!*first)
        return ini_lines_fail(&r->lines, r->lines.line, column,
                              "launcher: empty (leave it out for ssh ADDRESS)");
    if (!is_command(first))
        return ini_lines_fail(&r->lines, r->lines.line, column,
                              "launcher: '%s' is not a command here (not on $PATH)", first);
    snprintf(host->launcher, sizeof(host->launcher), "%s", value);
    const char *base = strrchr(first, '/');
    host->is_ssh = !strcmp(base ? base + 1 : first, "ssh");
    return 1;
}

static int take_address(struct reader *r, struct host *host, const char *value) {
    struct in_addr a;
    if (inet_pton(AF_INET, value, &a) != 1)
        return ini_lines_fail(&r->lines, r->lines.line, ini_lines_column(&r->lines, value),
                              "address: '%s' is not an IPv4 address (e.g. 198.18.0.1)", value);
    snprintf(host->address, sizeof(host->address), "%s", value);
    return 1;
}

/* The host a [server ...] or [client NAME] section names, new when the
 * section starts; NULL (with the error in r) for any other section. */
static struct host *host_of(struct reader *r, const char *section) {
    if (r->current && r->current_line == r->lines.section_line)
        return r->current;
    bool is_server = !strcmp(section, "server") || !strncmp(section, "server ", 7);
    bool is_client = !strncmp(section, "client ", 7) && section[7];
    struct hosts *h = r->h;
    if (!is_server && !is_client)
        return ini_lines_fail(&r->lines, r->lines.section_line, 1,
                              "unknown section [%s] ([server NAME], [client NAME])", section),
               NULL;
    if (is_server && r->has_server)
        return ini_lines_fail(&r->lines, r->lines.section_line, 1,
                              "a second [server]: one server host a run"),
               NULL;
    if (is_client && h->nclients == HOSTS_MAX_CLIENTS)
        return ini_lines_fail(&r->lines, r->lines.section_line, 1, "at most %d clients",
                              HOSTS_MAX_CLIENTS),
               NULL;
    struct host *host = is_server ? &h->server : &h->clients[h->nclients++];
    r->has_server |= is_server;
    *host = (struct host){.line = r->lines.section_line};
    snprintf(host->name, sizeof(host->name), "%s", section[6] ? section + 7 : "server");
    r->current = host;
    r->current_line = r->lines.section_line;
    memset(r->has_key, 0, sizeof(r->has_key));
    return host;
}

static int on_value(void *user, const char *section, const char *key, const char *value) {
    static const char *const keys[] = {"address", "launcher", "remote_dir"};
    struct reader *r = user;
    struct host *host = host_of(r, section);
    if (!host)
        return 0;
    unsigned k = 0, column = ini_lines_column(&r->lines, key);
    while (k < 3 && strcmp(key, keys[k]))
        k++;
    if (k == 3)
        return ini_lines_fail(&r->lines, r->lines.line, column,
                              "unknown key '%s' in [%s] (address, launcher, remote_dir)", key,
                              section);
    if (r->has_key[k])
        return ini_lines_fail(&r->lines, r->lines.line, column, "%s given twice in [%s]", key,
                              section);
    r->has_key[k] = true;
    if (k == 0)
        return take_address(r, host, value);
    if (k == 1)
        return take_launcher(r, host, value);
    if (value[0] != '/')
        return ini_lines_fail(&r->lines, r->lines.line, ini_lines_column(&r->lines, value),
                              "remote_dir: expected an absolute path");
    snprintf(host->remote_dir, sizeof(host->remote_dir), "%s", value);
    return 1;
}

/* Every host has an address and a launcher (ssh ADDRESS by default). */
static int check_host(struct reader *r, struct host *host) {
    bool is_server = host == &r->h->server;
    if (!host->address[0])
        return ini_lines_fail(&r->lines, host->line, 1, "[%s%s] needs address = ...",
                              is_server ? "server" : "client ", is_server ? "" : host->name) -
               1;
    if (!host->launcher[0]) {
        snprintf(host->launcher, sizeof(host->launcher), "ssh %s", host->address);
        host->is_ssh = true;
    }
    split_launcher(host);
    return 0;
}

int hosts_load(const char *file, struct hosts *h, char *err, size_t err_len) {
    struct reader *r = calloc(1, sizeof(*r));
    if (!r)
        return snprintf(err, err_len, "%s: out of memory", file), -1;
    memset(h, 0, sizeof(*h));
    h->file = file;
    r->h = h;
    int rc = ini_lines_parse(&r->lines, file, on_value, r, err, err_len);
    if (rc == 0 && r->lines.empty_section_line)
        rc = ini_lines_fail(&r->lines, r->lines.empty_section_line, 1,
                            "a section without keys: a host needs address = ...") -
             1;
    if (rc == 0 && !r->has_server)
        rc = ini_lines_fail(&r->lines, 1, 1, "no [server] section: name the server's host") - 1;
    if (rc == 0 && h->nclients == 0)
        rc = ini_lines_fail(&r->lines, 1, 1, "no [client NAME] section: name a client host") - 1;
    if (rc == 0)
        rc = check_host(r, &h->server);
    for (unsigned i = 0; rc == 0 && i < h->nclients; i++)
        rc = check_host(r, &h->clients[i]);
    free(r);
    return rc;
}

/* Appends word to a shell line at out (the rest of cap), in single quotes. */
static size_t shell_quote(char *out, size_t cap, const char *word) {
    size_t n = 0;
    if (cap < 3)
        return cap;
    out[n++] = '\'';
    for (const char *p = word; *p && n + 5 < cap; p++) {
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    if (n + 3 > cap)
        return cap;
    out[n++] = '\'';
    out[n++] = ' ';
    out[n] = '\0';
    return n;
}

int hosts_command(const struct host *host, char *const cmd[], char **argv, int max, char *storage,
                  size_t cap) {
    int argc = 0;
    for (int i = 0; i < host->argc && argc < max - 1; i++)
        argv[argc++] = host->argv[i];
    if (!host->is_ssh) {
        for (int i = 0; cmd[i]; i++) {
            if (argc == max - 1)
                return -1;
            argv[argc++] = cmd[i];
        }
        argv[argc] = NULL;
        return 0;
    }
    size_t len = 0;
    for (int i = 0; cmd[i]; i++) {
        len += shell_quote(storage + len, cap - len, cmd[i]);
        if (len >= cap)
            return -1;
    }
    if (argc > max - 2)
        return -1;
    argv[argc++] = storage;
    argv[argc] = NULL;
    return 0;
}

void hosts_binary(const struct host *host, const char *name, char *out, size_t cap) {
    if (host->remote_dir[0])
        snprintf(out, cap, "%s/%s", host->remote_dir, name);
    else
        snprintf(out, cap, "showdown-%s", name);
}

const char *hosts_work_dir(const struct host *host) {
    return host->remote_dir[0] ? host->remote_dir : "/tmp";
}

void hosts_label(const struct host *host, char *out, size_t cap) {
    snprintf(out, cap, "%s@%s", host->name, host->address);
}
