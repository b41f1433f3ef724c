/* http1.c — see http1.h. */
#include "http1.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static int http_on_message_begin(llhttp_t *parser) {
    struct http_conn *conn = parser->data;

    conn->in_head = true;
    conn->in_message = true;
    conn->head_line = 0;
    conn->is_head_started = false;
    conn->head_prev = '\n';
    conn->chunk_ext_bytes = 0;
    conn->req.target_len = 0;
    conn->req.target[0] = '\0';
    return HPE_OK;
}

static int http_on_url(llhttp_t *parser, const char *at, size_t length) {
    struct http_conn *conn = parser->data;
    struct http_request *req = &conn->req;

    if (length > HTTP_REQUEST_TARGET_LIMIT - req->target_len) {
        conn->error_status = 414;
        conn->error_reason = "request-target too long";
        return HPE_USER;
    }
    memcpy(req->target + req->target_len, at, length);
    req->target_len += length;
    req->target[req->target_len] = '\0';
    return HPE_OK;
}

static int http_on_chunk_extension(llhttp_t *parser, const char *at, size_t length) {
    struct http_conn *conn = parser->data;
    (void)at;
    conn->chunk_ext_bytes += length;
    if (conn->chunk_ext_bytes > HTTP_CHUNK_EXTENSIONS_LIMIT) {
        conn->error_status = 413;
        conn->error_reason = "chunk extensions too large";
        return HPE_USER;
    }
    return HPE_OK;
}

static int http_on_headers_complete(llhttp_t *parser) {
    struct http_conn *conn = parser->data;

    if (llhttp_get_http_major(parser) == 0) {
        conn->error_status = 400;
        conn->error_reason = "HTTP/0.9 requests are not served";
        return -1;
    }
    conn->req.method = (uint8_t)llhttp_get_method(parser);
    conn->req.http_minor = llhttp_get_http_minor(parser);
    conn->req.is_head = conn->req.method == HTTP_HEAD;
    conn->head_done = true;
    /* Pause so http_conn_feed() knows exactly where the head ended. */
    return HPE_PAUSED;
}

static int http_on_message_complete(llhttp_t *parser) {
    struct http_conn *conn = parser->data;

    conn->req.keep_alive = llhttp_should_keep_alive(parser) && !llhttp_get_upgrade(parser);
    conn->in_message = false;
    conn->is_ready = true;
    return HPE_PAUSED;
}

static llhttp_settings_t http_settings_value;
static pthread_once_t http_settings_once = PTHREAD_ONCE_INIT;

static void http_settings_init(void) {
    llhttp_settings_init(&http_settings_value);
    http_settings_value.on_message_begin = http_on_message_begin;
    http_settings_value.on_url = http_on_url;
    http_settings_value.on_headers_complete = http_on_headers_complete;
    http_settings_value.on_message_complete = http_on_message_complete;
    http_settings_value.on_chunk_extension_name = http_on_chunk_extension;
    http_settings_value.on_chunk_extension_value = http_on_chunk_extension;
}

static const llhttp_settings_t *http_settings(void) {
    pthread_once(&http_settings_once, http_settings_init);
    return &http_settings_value;
}

void http_conn_init(struct http_conn *conn) {
    memset(conn, 0, sizeof(*conn));
    llhttp_init(&conn->parser, HTTP_REQUEST, http_settings());
    conn->parser.data = conn;
}

static size_t http_fail(struct http_conn *conn, int status, const char *reason,
                        enum http_event *event) {
    if (conn->error_status == 0) {
        conn->error_status = status;
        conn->error_reason = reason;
    }
    *event = HTTP_EV_ERROR;
    return 0;
}

/* Checks head bytes llhttp has consumed for what strict llhttp 8.1 still
 * accepts: returns NULL, or why the head is refused. */
static const char *http_check_head(struct http_conn *conn, const char *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = data[i], prev = conn->head_prev;
        conn->head_prev = c;
        if (!conn->is_head_started) {
            if (c == '\r' || c == '\n')
                continue;
            conn->is_head_started = true;
            prev = '\n';
        }
        if (c == '\n') {
            conn->head_line++;
            continue;
        }
        if (conn->head_line == 0 && (c == '\t' || (c == ' ' && (prev == ' ' || prev == '\n'))))
            return "one space between the parts of the request line";
        if (conn->head_line > 0 && prev == '\n' && (c == ' ' || c == '\t'))
            return "obsolete line folding is not accepted";
        if (conn->head_line > 0 && prev == '\n' && c == ':')
            return "empty header name";
    }
    return NULL;
}

size_t http_conn_feed(struct http_conn *conn, const char *data, size_t len,
                      enum http_event *event) {
    size_t used = 0;
    bool must_run = true;

    if (conn->error_status) {
        *event = HTTP_EV_ERROR;
        return 0;
    }
    if (conn->is_ready) {
        *event = HTTP_EV_REQUEST;
        return 0;
    }
    /* Runs at least once even when len is 0, and again after the pause at
     * the end of the headers: a request whose headers end exactly at the
     * end of the data completes on an empty execute. */
    while (must_run || used < len) {
        must_run = false;
        bool was_in_head = conn->in_head;
        llhttp_errno_t err = llhttp_execute(&conn->parser, data + used, len - used);
        size_t step = len - used;

        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE)
            step = (size_t)(llhttp_get_error_pos(&conn->parser) - (data + used));
        /* A step that started in the head counts whole toward the head: it
         * ends at the head's end (pause) or at the end of the data. */
        if (was_in_head || conn->in_head) {
            conn->head_bytes += step;
            const char *refused = http_check_head(conn, data + used, step);
            if (refused)
                return used + step + http_fail(conn, 400, refused, event);
        }
        used += step;
        if (conn->head_bytes > HTTP_REQUEST_HEAD_LIMIT)
            return used + http_fail(conn, 431, "request header fields too large", event);

        switch (err) {
        case HPE_OK:
            break;
        case HPE_PAUSED:
            llhttp_resume(&conn->parser);
            if (conn->head_done) {
                conn->head_done = false;
                conn->in_head = false;
                must_run = true;
            }
            break;
        case HPE_PAUSED_UPGRADE:
            /* Upgrade/CONNECT: showdown speaks no other protocol. The request
             * is answered and the connection closed (keep_alive is false). */
            conn->is_upgrade = true;
            break;
        case HPE_USER: /* our own callbacks set the status */
        case HPE_CB_HEADERS_COMPLETE:
            return used + http_fail(conn, conn->error_status, conn->error_reason, event);
        default:
            return used + http_fail(conn, 400, llhttp_get_error_reason(&conn->parser), event);
        }
        if (conn->is_ready) {
            *event = HTTP_EV_REQUEST;
            return used;
        }
    }
    *event = HTTP_EV_NEED_MORE;
    return used;
}

void http_conn_next(struct http_conn *conn) {
    conn->is_ready = false;
    conn->head_bytes = 0;
}

bool http_conn_is_mid_request(const struct http_conn *conn) {
    return conn->in_message;
}

const char *http_status_line(int status) {
    switch (status) {
    case 200:
        return "200 OK";
    case 400:
        return "400 Bad Request";
    case 404:
        return "404 Not Found";
    case 408:
        return "408 Request Timeout";
    case 413:
        return "413 Payload Too Large";
    case 414:
        return "414 URI Too Long";
    case 431:
        return "431 Request Header Fields Too Large";
    case 503:
        return "503 Service Unavailable";
    default:
        return "500 Internal Server Error";
    }
}

/*
 * The Date header, formatted at most once a second per thread (as Node and
 * nginx cache theirs) rather than once per response.
 */
static const char *http_date(void) {
    static __thread char cached[40];
    static __thread time_t cached_sec = -1;
    struct timespec now;

    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (now.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(cached, sizeof(cached), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_sec = now.tv_sec;
    }
    return cached;
}

static char *http_append(char *p, const char *s) {
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *http_append_u64(char *p, uint64_t v) {
    char digits[20];
    int n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

size_t http_format_head(char *buf, const struct http_head *head) {
    char *p = buf;

    p = http_append(p, "HTTP/1.1 ");
    p = http_append(p, http_status_line(head->status));
    p = http_append(p, "\r\nServer: showdown\r\nDate: ");
    p = http_append(p, http_date());
    if (head->content_type) {
        p = http_append(p, "\r\nContent-Type: ");
        p = http_append(p, head->content_type);
    }
    p = http_append(p, "\r\nContent-Length: ");
    p = http_append_u64(p, head->content_length);
    if (head->keep_alive) {
        p = http_append(p, "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=");
        p = http_append_u64(p, head->keep_alive_s);
    } else {
        p = http_append(p, "\r\nConnection: close");
    }
    p = http_append(p, "\r\n\r\n");
    return (size_t)(p - buf);
}
