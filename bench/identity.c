/*
 * identity.c — the run's identity: host, CPU model, cores, git revision.
 */
#define _GNU_SOURCE
#include "identity.h"
#include "proc.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void read_cpu_model(char *out, size_t cap) {
    char line[512];
    FILE *in = fopen("/proc/cpuinfo", "re");
    snprintf(out, cap, "unknown");
    while (in && fgets(line, sizeof(line), in)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            snprintf(out, cap, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    if (in)
        fclose(in);
}

static void read_git_rev(const char *server, char *out, size_t cap) {
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", server);
    char *slash = strrchr(dir, '/');
    snprintf(slash ? slash : dir, sizeof(dir) - (size_t)(slash ? slash - dir : 0), "%s",
             slash ? "/.." : ".");
    char *argv[] = {"/usr/bin/git", "-C", dir, "describe", "--always", "--dirty", NULL};
    if (access(argv[0], X_OK) != 0 || proc_capture(argv, out, cap, -1) < 0 || !out[0])
        snprintf(out, cap, "unknown");
}

void identity_read(struct run_identity *id, const char *server) {
    gethostname(id->host, sizeof(id->host));
    id->host[strcspn(id->host, ".")] = '\0';
    read_cpu_model(id->cpu_model, sizeof(id->cpu_model));
    snprintf(id->cores, sizeof(id->cores), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    read_git_rev(server, id->git_rev, sizeof(id->git_rev));
}
