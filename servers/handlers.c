/* handlers.c — see handlers.h. */
#include "handlers.h"

#include <stdbool.h>
#include <string.h>

#define PATTERN_LEN (26 * 2520) /* 65520: a whole number of alphabets */

static const char hello_body[] = "Hello, World!";
static const char json_body[] = "{\"message\":\"Hello, World!\"}";
static const char ok_body[] = "OK";

static char pattern[PATTERN_LEN];

void handlers_init(void) {
    for (size_t i = 0; i < PATTERN_LEN; i++)
        pattern[i] = (char)('a' + i % 26);
}

static void plan_reply(struct reply_plan *plan, int status, const char *content_type,
                       const char *body, uint64_t body_len) {
    memset(plan, 0, sizeof(*plan));
    plan->status = status;
    plan->content_type = content_type;
    plan->body = body;
    plan->body_len = body_len;
}

/* A 200 whose body is the work's result, written into plan->result later. */
static void plan_result(struct reply_plan *plan, enum reply_result result_of) {
    plan_reply(plan, 200, "text/plain", NULL, 0);
    plan->result_of = result_of;
}

void handler_error(int status, const char *reason, struct reply_plan *plan) {
    plan_reply(plan, status, "text/plain", reason, strlen(reason));
}

/* Finds "name=value" in a query string; the value ends at '&' or the end. */
static bool query_find(const char *query, size_t query_len, const char *name, const char **value,
                       size_t *value_len) {
    size_t name_len = strlen(name);
    const char *p = query, *end = query + query_len;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *field_end = amp ? amp : end;

        if ((size_t)(field_end - p) > name_len && memcmp(p, name, name_len) == 0 &&
            p[name_len] == '=') {
            *value = p + name_len + 1;
            *value_len = (size_t)(field_end - *value);
            return true;
        }
        p = field_end + 1;
    }
    return false;
}

/* A whole decimal number from 0 to max, nothing else. */
static bool query_uint(const char *query, size_t query_len, const char *name, uint64_t max,
                       uint64_t *out) {
    const char *value;
    size_t len;
    uint64_t n = 0;

    if (!query_find(query, query_len, name, &value, &len) || len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(value[i] - '0');
        if (n > max)
            return false;
    }
    *out = n;
    return true;
}

static bool path_is(const char *path, size_t path_len, const char *name) {
    return path_len == strlen(name) && memcmp(path, name, path_len) == 0;
}

void handler_route(const char *target, size_t target_len, struct reply_plan *plan) {
    const char *question = memchr(target, '?', target_len);
    size_t path_len = question ? (size_t)(question - target) : target_len;
    const char *query = question ? question + 1 : target + target_len;
    size_t query_len = target_len - (size_t)(query - target);
    uint64_t a, b;

    if (path_is(target, path_len, "/hello")) {
        plan_reply(plan, 200, "text/plain", hello_body, sizeof(hello_body) - 1);
    } else if (path_is(target, path_len, "/stats")) {
        plan_reply(plan, 200, "application/json", "", 0);
        plan->is_stats = 1;
    } else if (path_is(target, path_len, "/json")) {
        plan_reply(plan, 200, "application/json", json_body, sizeof(json_body) - 1);
    } else if (path_is(target, path_len, "/io")) {
        if (!query_uint(query, query_len, "ms", HANDLER_MAX_IO_MS, &a)) {
            handler_error(400, "ms must be a whole number from 0 to 60000\n", plan);
            return;
        }
        plan_reply(plan, 200, "text/plain", ok_body, sizeof(ok_body) - 1);
        plan->wait_ms = a;
    } else if (path_is(target, path_len, "/cpu")) {
        if (!query_uint(query, query_len, "us", HANDLER_MAX_CPU_US, &a)) {
            handler_error(400, "us must be a whole number from 0 to 10000000\n", plan);
            return;
        }
        plan_reply(plan, 200, "text/plain", ok_body, sizeof(ok_body) - 1);
        plan->cpu_us = a;
    } else if (path_is(target, path_len, "/mixed")) {
        if (!query_uint(query, query_len, "cpu_us", HANDLER_MAX_CPU_US, &a)) {
            handler_error(400, "cpu_us must be a whole number from 0 to 10000000\n", plan);
            return;
        }
        if (!query_uint(query, query_len, "io_ms", HANDLER_MAX_IO_MS, &b)) {
            handler_error(400, "io_ms must be a whole number from 0 to 60000\n", plan);
            return;
        }
        plan_reply(plan, 200, "text/plain", ok_body, sizeof(ok_body) - 1);
        plan->cpu_us = a;
        plan->wait_ms = b;
    } else if (path_is(target, path_len, "/work")) {
        if (!query_uint(query, query_len, "n", HANDLER_MAX_WORK_N, &a)) {
            handler_error(400, "n must be a whole number from 0 to 1000000000\n", plan);
            return;
        }
        plan_result(plan, RESULT_WORK);
        plan->work_n = a;
    } else if (path_is(target, path_len, "/hash")) {
        if (!query_uint(query, query_len, "kb", HANDLER_MAX_HASH_KB, &a)) {
            handler_error(400, "kb must be a whole number from 0 to 65536\n", plan);
            return;
        }
        plan_result(plan, RESULT_HASH);
        plan->hash_kb = a;
    } else if (path_is(target, path_len, "/bytes")) {
        if (!query_uint(query, query_len, "n", HANDLER_MAX_BYTES, &a)) {
            handler_error(400, "n must be a whole number from 0 to 67108864\n", plan);
            return;
        }
        plan_reply(plan, 200, "application/octet-stream", NULL, a);
    } else {
        handler_error(404, "Not Found\n", plan);
    }
}

const char *handler_body_at(const struct reply_plan *plan, uint64_t offset, size_t *len) {
    uint64_t left = offset < plan->body_len ? plan->body_len - offset : 0;

    if (plan->result_of != RESULT_NONE) {
        *len = (size_t)left;
        return plan->result + offset;
    }
    if (plan->body) {
        *len = (size_t)left;
        return plan->body + offset;
    }
    /* The pattern repeats every PATTERN_LEN bytes, so any offset maps into
     * it and a chunk runs at most to the pattern's end. */
    size_t start = (size_t)(offset % PATTERN_LEN);
    size_t room = PATTERN_LEN - start;
    *len = left < room ? (size_t)left : room;
    return pattern + start;
}
