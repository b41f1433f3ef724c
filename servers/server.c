/*
 * server.c — what an engine tells whoever runs it (server.h): it is ready
 * (the port, once), it is alive (the arbiter's heartbeat), it is stopping
 * (the first SIGINT/SIGTERM; a second one hurries it); whether the file
 * limit lets it start at all; and the runtime's own cost per request,
 * which every engine spends through one call.
 */
#include "server.h"

#include "../common/clock.h"
#include "listen.h"
#include "stats.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

int server_ready(const struct server_config *config) {
    if (config->is_worker)
        return 0;
    if (listen_announce(config->host, config->port, config->ready_fd) == 0)
        return 0;
    fprintf(stderr, "server: --ready-fd %d: cannot write the port\n", config->ready_fd);
    return -1;
}

void server_heartbeat(const struct server_config *config) {
    if (config->is_worker && config->board && config->worker_index < config->board->slot_count)
        atomic_store(&config->board->slots[config->worker_index].heartbeat_us, clock_now_us());
}

bool server_stop_begins(bool *is_stopping, int signum) {
    if (*is_stopping)
        return false;
    fprintf(stderr, "server: %s, stopping\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    *is_stopping = true;
    return true;
}

int server_check_file_limit(char *err, size_t errlen) {
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur >= SERVER_MIN_FILES)
        return 0;
    snprintf(err, errlen,
             "open file limit %llu is below the %d descriptors a server needs to start (ulimit -n)",
             (unsigned long long)limit.rlim_cur, SERVER_MIN_FILES);
    return -1;
}

void server_runtime_cost(const struct server_config *config, cpuwork_checkpoint_fn checkpoint,
                         void *arg) {
    if (config->runtime_cost_us > 0)
        cpuwork_run(config->runtime_cost_us, checkpoint, arg);
}
