/*
 * handlers.h — the endpoints of docs/DESIGN.md, written once for every model.
 *
 * A handler does no I/O and never blocks: handler_route() turns a request
 * into a struct reply_plan that says what the answer needs — CPU µs to
 * burn, ms to wait, then a status and a body — and each engine performs
 * the work its own way (a timer on a loop, a blocking sleep in a thread,
 * CPU work under a GIL or on a pool); response.h then writes the answer.
 * Bodies are static bytes or the repeating /bytes pattern; nothing is
 * allocated per request.
 *
 *   GET /hello                    200 text/plain "Hello, World!"
 *   GET /json                     200 application/json {"message":"Hello, World!"}
 *   GET /io?ms=N                  wait N ms (0..60000), then 200 "OK"
 *   GET /cpu?us=N                 N µs of CPU work (0..10000000), then 200 "OK"
 *   GET /mixed?cpu_us=A&io_ms=B   A µs of CPU work, then B ms of waiting
 *   GET /work?n=N                 N iterations (0..10^9) of a fixed integer loop, not
 *                                 calibrated to time; 200 with its result in decimal
 *   GET /hash?kb=N                SHA-256 of the first N KiB (0..65536) of the /bytes
 *                                 pattern, the GIL released; 200 with the digest in hex
 *   GET /bytes?n=N                200 with N bytes (0..64 MiB): 'a'..'z' repeating
 *   GET /stats                    200 application/json: the model's counters
 *   anything else                 404; a bad parameter: 400 with a one-line reason
 */
#ifndef SHOWDOWN_HANDLERS_H
#define SHOWDOWN_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#define HANDLER_MAX_IO_MS   60000u
#define HANDLER_MAX_CPU_US  10000000u
#define HANDLER_MAX_BYTES   (64u << 20)
#define HANDLER_MAX_WORK_N  1000000000u
#define HANDLER_MAX_HASH_KB 65536u /* 64 MiB, as /bytes */
/* A /work or /hash body: a 32-bit number in decimal, or a SHA-256 in hex. */
#define HANDLER_RESULT_CAP 72

enum reply_result { RESULT_NONE, RESULT_WORK, RESULT_HASH };

struct reply_plan {
    int status;
    const char *content_type;
    const char *body; /* static bytes, or NULL for the /bytes pattern or a result */
    uint64_t body_len;
    uint64_t cpu_us;             /* CPU work first ... */
    uint64_t work_n;             /* ... or the fixed loop's iterations (work.h) ... */
    uint64_t hash_kb;            /* ... or KiB to hash with the GIL released (work.h) ... */
    uint64_t wait_ms;            /* ... then the wait */
    int is_stats;                /* GET /stats: the engine fills the body (stats.h) */
    enum reply_result result_of; /* /work, /hash: the body is result, work_perform()'s */
    char result[HANDLER_RESULT_CAP];
};

/* Fills the /bytes pattern; call once before any thread starts. */
void handlers_init(void);

/* Routes a request-target ("/io?ms=20"). The method does not matter, as in
 * a plain Node `http.createServer` handler; HEAD is response.c's business. */
void handler_route(const char *target, size_t target_len, struct reply_plan *plan);

/* A plan that answers an error status with a static reason, no waiting. */
void handler_error(int status, const char *reason, struct reply_plan *plan);

/*
 * The plan's body bytes from offset on: sets *len to how many can be
 * written from the returned pointer in one go (at most 64 KiB), or 0 at
 * the end.
 */
const char *handler_body_at(const struct reply_plan *plan, uint64_t offset, size_t *len);

#endif
