/*
 * http1.h — HTTP/1.1 request parsing and response framing on llhttp, the
 * parser Node.js itself uses. Shared by every engine: an event loop and a
 * blocking thread drive the same struct http_conn the same way.
 *
 * Contract:
 *  - The engine owns one struct http_conn per connection and the bytes it
 *    reads. http_conn_feed() parses bytes and stops right after the first
 *    complete request (llhttp is paused there), so pipelined requests come
 *    out one at a time, in order, and the engine answers each before it asks
 *    for the next (http_conn_next()). Bytes not consumed stay the engine's.
 *  - Limits as Node's defaults: request line plus headers at most
 *    HTTP_REQUEST_HEAD_LIMIT bytes (Node's --max-http-header-size, 16 KiB) -> 431.
 *    The request-target is kept for routing up to HTTP_REQUEST_TARGET_LIMIT bytes;
 *    a longer one gets 414. Any parse error -> 400 with llhttp's reason.
 *    After an error the connection is unusable: answer and close.
 *  - llhttp is built in its strict mode. What Debian's llhttp 8.1 still
 *    lets through and RFC 9112 forbids is refused here with 400: HTTP/0.9
 *    requests, more than one space between request-line parts, obs-fold
 *    (a header line starting with whitespace), an empty header name; and
 *    chunk extensions over HTTP_CHUNK_EXTENSIONS_LIMIT get 413, as in Node.
 *  - Nothing here allocates, blocks or keeps global state except the
 *    per-thread Date cache.
 */
#ifndef SHOWDOWN_HTTP1_H
#define SHOWDOWN_HTTP1_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_REQUEST_HEAD_LIMIT   16384 /* Node's default max header size */
#define HTTP_REQUEST_TARGET_LIMIT 1024
#define HTTP_RESPONSE_HEAD_CAP    512 /* room for any response head we format */
/* Node's limit on a request's chunk extensions (CVE-2024-22019): 16 KiB -> 413. */
#define HTTP_CHUNK_EXTENSIONS_LIMIT 16384

enum http_event {
    HTTP_EV_NEED_MORE, /* every byte consumed, no complete request yet */
    HTTP_EV_REQUEST,   /* conn->req holds a complete request */
    HTTP_EV_ERROR,     /* conn->error_status and conn->error_reason say why */
};

struct http_request {
    char target[HTTP_REQUEST_TARGET_LIMIT + 1]; /* NUL-terminated request-target */
    size_t target_len;
    uint8_t method; /* llhttp_method_t */
    uint8_t http_minor;
    bool is_head;    /* HEAD: answer without a body */
    bool keep_alive; /* HTTP/1.1 rules and the Connection header */
};

struct http_conn {
    llhttp_t parser;
    struct http_request req;
    size_t head_bytes; /* request line and headers seen of the current request */
    bool in_message;   /* a request has begun and is not complete */
    bool in_head;      /* ... and its headers are not complete either */
    bool head_done;    /* paused at the end of the headers */
    bool is_ready;     /* a complete request waits for http_conn_next() */
    bool is_upgrade;   /* llhttp stopped after an Upgrade/CONNECT request */
    int error_status;  /* 0, or 400 / 413 / 414 / 431 */
    /* The head's own checks (see above), over the bytes llhttp consumed. */
    unsigned head_line;     /* 0: the request line */
    bool is_head_started;   /* past the CR/LF llhttp skips before a request */
    char head_prev;         /* the byte before, in the head */
    size_t chunk_ext_bytes; /* chunk extension bytes of the current request */
    const char *error_reason;
};

void http_conn_init(struct http_conn *conn);

/*
 * Parses up to len bytes. Returns how many were consumed and sets *event.
 * With HTTP_EV_REQUEST, the bytes after the request are not consumed.
 */
size_t http_conn_feed(struct http_conn *conn, const char *data, size_t len, enum http_event *event);

/* The current request is answered: parsing may go on. */
void http_conn_next(struct http_conn *conn);

/* True when some bytes of a request have arrived but not all of it. */
bool http_conn_is_mid_request(const struct http_conn *conn);

/* What the response head says; the body itself the engine writes. */
struct http_head {
    int status;
    const char *content_type; /* NULL: no Content-Type */
    uint64_t content_length;
    bool keep_alive;
    unsigned keep_alive_s; /* advertised in "Keep-Alive: timeout=N", as Node does */
};

/* Formats a response head into buf (HTTP_RESPONSE_HEAD_CAP bytes). Returns its length. */
size_t http_format_head(char *buf, const struct http_head *head);

/* "200 OK", "404 Not Found", ... for the statuses showdown sends. */
const char *http_status_line(int status);

#endif
