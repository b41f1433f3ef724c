/*
 * fuzz_http1.c — a libFuzzer target: bytes through the request path every
 * engine uses (http_conn_feed in pieces, the response plan and head of
 * each request, http_conn_next, the error answer), under ASan and
 * UBSan. The first input byte chooses where the bytes are split, so
 * requests cut at every point are tried. `make fuzz` runs it for
 * FUZZ_SECONDS with tests/hostile as the seed corpus.
 */
#include "../servers/http1.h"
#include "../servers/response.h"
#include "../servers/server.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const struct http_conn *conn) {
    static const struct server_config config = {.keep_alive_timeout_ms = 5000};
    struct response response = {0};
    struct iovec iov[RESPONSE_IOV_MAX];
    if (conn->error_status)
        response_plan_error(&response, conn->error_status, conn->error_reason);
    else
        response_plan_request(&response, &conn->req);
    response_start(&response, &config, true);
    (void)response_pending(&response, iov);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int is_ready;
    struct http_conn conn;
    if (!is_ready) {
        handlers_init();
        is_ready = 1;
    }
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] % 64 + 1;
    const char *bytes = (const char *)data + 1;
    size_t len = size - 1, off = 0;

    http_conn_init(&conn);
    while (off < len) {
        size_t end = off + piece < len ? off + piece : len;
        enum http_event event;
        size_t used = http_conn_feed(&conn, bytes + off, end - off, &event);
        off += used;
        if (event == HTTP_EV_REQUEST) {
            answer(&conn);
            if (!conn.req.keep_alive)
                return 0;
            http_conn_next(&conn);
        } else if (event == HTTP_EV_ERROR) {
            answer(&conn);
            return 0;
        } else if (off < end) {
            __builtin_trap(); /* http1.h: NEED_MORE consumes every byte */
        }
    }
    return 0;
}
