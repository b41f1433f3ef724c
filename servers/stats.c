/* stats.c — see stats.h. */
#include "stats.h"

#include "gil.h"
#include "handlers.h"
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Per-thread counts of this process's pool (not shared: each process has
 * its own pool, and reports its own). */
static atomic_uint_fast64_t thread_requests[STATS_MAX_THREADS];

int stats_board_create(struct stats_board *board, unsigned n) {
    void *memory = mmap(NULL, n * sizeof(struct stats_slot), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return -1;
    board->slots = memory;
    board->slot_count = n;
    return 0;
}

void stats_board_destroy(struct stats_board *board) {
    if (board->slots)
        munmap(board->slots, board->slot_count * sizeof(struct stats_slot));
    board->slots = NULL;
}

static struct stats_slot *own_slot(const struct server_config *config) {
    if (!config->board || config->worker_index >= config->board->slot_count)
        return NULL;
    return &config->board->slots[config->worker_index];
}

void stats_count(const struct server_config *config, int thread_index) {
    struct stats_slot *slot = own_slot(config);
    if (slot)
        atomic_fetch_add_explicit(&slot->requests, 1, memory_order_relaxed);
    if (thread_index >= 0 && thread_index < STATS_MAX_THREADS)
        atomic_fetch_add_explicit(&thread_requests[thread_index], 1, memory_order_relaxed);
}

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *out, const char *format, ...) {
    va_list args;
    va_start(args, format);
    if (out->len < out->cap) {
        int n = vsnprintf(out->buf + out->len, out->cap - out->len, format, args);
        if (n > 0)
            out->len += (size_t)n < out->cap - out->len ? (size_t)n : out->cap - out->len - 1;
    }
    va_end(args);
}

size_t stats_format(const struct server_config *config, struct gil *gil, char *buf, size_t cap) {
    struct out out = {buf, cap, 0};
    const struct stats_board *board = config->board;

    put(&out, "{\"model\":\"%s\",\"pid\":%d,\"worker\":%u,\"processes\":[", config->model->name,
        (int)getpid(), config->worker_index);
    for (unsigned i = 0, first = 1; board && i < board->slot_count; i++) {
        int pid = atomic_load(&board->slots[i].pid);
        if (pid <= 0)
            continue;
        put(&out, "%s{\"pid\":%d,\"requests\":%llu}", first ? "" : ",", pid,
            (unsigned long long)atomic_load(&board->slots[i].requests));
        first = 0;
    }
    put(&out, "],\"threads\":[");
    unsigned pool = config->threads > 1 && config->has_thread_pool ? config->threads : 0;
    for (unsigned i = 0; i < pool && i < STATS_MAX_THREADS; i++)
        put(&out, "%s%llu", i ? "," : "", (unsigned long long)atomic_load(&thread_requests[i]));
    put(&out, "]");
    if (gil) {
        struct gil_stats stats;
        gil_get_stats(gil, &stats);
        put(&out,
            ",\"gil\":{\"switch_interval_us\":%llu,\"takes\":%llu,\"switches\":%llu,\"forced_"
            "drops\":%llu,"
            "\"wait_ms\":%.3f}",
            (unsigned long long)config->switch_interval_us, (unsigned long long)stats.takes,
            (unsigned long long)stats.switches, (unsigned long long)stats.forced_drops,
            (double)stats.wait_ns / 1e6);
    }
    put(&out, "}\n");
    return out.len;
}

void stats_answer(const struct server_config *config, struct gil *gil, struct reply_plan *plan,
                  char *buf) {
    plan->body = buf ? buf : "";
    plan->body_len = buf ? stats_format(config, gil, buf, STATS_BODY_MAX) : 0;
}
