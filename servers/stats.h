/*
 * stats.h — what GET /stats reports, on every model: requests served per
 * process (a board of slots in shared memory, one per worker, so any worker
 * can report them all), per thread where a model has a fixed pool, and the
 * GIL's counters (takes: every acquisition; switches, forced drops, time
 * spent waiting for it).
 *
 * The board is created once (main.c for one process, the arbiter for
 * pre-fork models) before any fork; each process writes only its own slot.
 * The arbiter's heartbeat lives in the same slot.
 */
#ifndef SHOWDOWN_STATS_H
#define SHOWDOWN_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct gil;
struct server_config;

#define STATS_MAX_THREADS 64 /* per-thread counts are kept for pools up to this size */

struct stats_slot {
    atomic_uint_fast64_t heartbeat_us;
    atomic_uint_fast64_t requests;
    atomic_int pid;
};

struct stats_board {
    unsigned slot_count;
    struct stats_slot *slots; /* MAP_SHARED */
};

/* Maps a board of n slots shared with children forked later. 0 or -1. */
int stats_board_create(struct stats_board *board, unsigned n);
void stats_board_destroy(struct stats_board *board);

/* Counts one answered request for this process (and thread index, or -1). */
void stats_count(const struct server_config *config, int thread_index);

#define STATS_BODY_MAX 4096

struct reply_plan;

/* Makes plan (routed GET /stats) answer with this process's figures,
 * formatted into buf (STATS_BODY_MAX bytes, the caller's, alive until the
 * answer is written); gil may be NULL. With no buf, an empty body. */
void stats_answer(const struct server_config *config, struct gil *gil, struct reply_plan *plan,
                  char *buf);

/*
 * Formats the /stats JSON into buf for the process serving it; gil may be
 * NULL. Returns its length (truncated to cap).
 */
size_t stats_format(const struct server_config *config, struct gil *gil, char *buf, size_t cap);

#endif
