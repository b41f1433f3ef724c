/*
 * response.h — what a response is, for every engine (docs/DESIGN.md,
 * "Data path: server"): the plan the handler
 * made (struct reply_plan), the head formatted from it, the body, how much
 * of each is sent, and whether the connection stays open after it.
 *
 * The split is libuv's handle/request one: a connection (the engine's
 * handle) owns one struct response, reused for every request on it; a
 * response is a request in flight on that handle. The engine keeps only
 * its system call: it asks response_pending() what is left, hands those
 * buffers to uv_try_write / writev / sendmsg, and reports what the call
 * took with response_advance(). Everything else about the answer — the
 * head's bytes, the body's chunks (static bytes or the /bytes pattern, at
 * most 64 KiB from one pointer), the cursor across the head/body boundary,
 * the Keep-Alive seconds advertised, the linger time after a final
 * response — is decided here, once.
 *
 * Ownership: the engine embeds the struct response in its connection and
 * calls response_free() when the connection goes. Nothing is allocated per
 * request: the GET /stats buffer is allocated on a connection's first
 * /stats request and kept for its life. One thread at a time.
 */
#ifndef SHOWDOWN_RESPONSE_H
#define SHOWDOWN_RESPONSE_H

#include "handlers.h"
#include "http1.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct server_config;

/* How long a connection that closes after its response may go on draining
 * what the peer still sends (a shut write side, then reads until EOF), so
 * unread bytes do not turn the close into a RST that destroys the answer. */
#define RESPONSE_LINGER_MS 2000

/* response_pending() fills at most this many buffers: the head, a body chunk. */
#define RESPONSE_IOV_MAX 2

struct response {
    struct reply_plan plan;
    bool is_head;    /* HEAD: the head says Content-Length, no body follows */
    bool keep_alive; /* the client's wish until response_start(), then the verdict */
    char head[HTTP_RESPONSE_HEAD_CAP];
    size_t head_len, head_sent;
    uint64_t body_len, body_sent;
    char *stats_body; /* GET /stats: STATS_BODY_MAX bytes, see response_stats_buffer() */
};

/* Plans the answer to a parsed request: routes it (handler_route) and
 * remembers whether it is HEAD and whether the client would keep the
 * connection. CPU work and the wait are the engine's to perform. */
void response_plan_request(struct response *response, const struct http_request *req);

/* Plans an error answer (400, 408, 431, ...): no work, the reason as the
 * body (also to a HEAD request), and the connection closes after it. */
void response_plan_error(struct response *response, int status, const char *reason);

/* The buffer a GET /stats body is formatted into (stats_answer), allocated
 * on first use and kept until response_free(); NULL if out of memory,
 * which stats_answer() answers with an empty body. */
char *response_stats_buffer(struct response *response);

/*
 * The plan is done (CPU work and wait performed): formats the head and
 * puts the cursor at its start. The connection is kept alive after it if
 * the client asked and may_keep_alive (the server is not stopping, the
 * model keeps connections); response->keep_alive is then the verdict, and
 * the head advertises config's keep-alive timeout in whole seconds.
 */
void response_start(struct response *response, const struct server_config *config,
                    bool may_keep_alive);

/* Fills iov with what is left to send, head first; returns how many
 * buffers (0 once everything is sent). */
unsigned response_pending(const struct response *response, struct iovec iov[RESPONSE_IOV_MAX]);

/* Counts n bytes, as taken by the engine's write call, as sent. */
void response_advance(struct response *response, size_t n);

/* Frees what the response holds (not the struct itself, the engine's). */
void response_free(struct response *response);

#endif
