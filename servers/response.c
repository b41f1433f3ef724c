/* response.c — see response.h. */
#include "response.h"

#include "server.h"
#include "stats.h"

#include <stdlib.h>

void response_plan_request(struct response *response, const struct http_request *req) {
    handler_route(req->target, req->target_len, &response->plan);
    response->keep_alive = req->keep_alive;
    response->is_head = req->is_head;
}

void response_plan_error(struct response *response, int status, const char *reason) {
    handler_error(status, reason, &response->plan);
    response->keep_alive = false;
    response->is_head = false;
}

char *response_stats_buffer(struct response *response) {
    if (!response->stats_body)
        response->stats_body = malloc(STATS_BODY_MAX);
    return response->stats_body;
}

void response_start(struct response *response, const struct server_config *config,
                    bool may_keep_alive) {
    const struct reply_plan *plan = &response->plan;

    response->keep_alive = response->keep_alive && may_keep_alive;
    struct http_head head = {
        .status = plan->status,
        .content_type = plan->content_type,
        .content_length = plan->body_len,
        .keep_alive = response->keep_alive,
        /* whole seconds, rounded up */
        .keep_alive_s = (unsigned)((config->keep_alive_timeout_ms + 999) / 1000),
    };
    response->head_len = http_format_head(response->head, &head);
    response->head_sent = 0;
    response->body_len = response->is_head ? 0 : plan->body_len;
    response->body_sent = 0;
}

unsigned response_pending(const struct response *response, struct iovec iov[RESPONSE_IOV_MAX]) {
    unsigned n = 0;

    if (response->head_sent < response->head_len) {
        iov[n].iov_base = (char *)response->head + response->head_sent;
        iov[n++].iov_len = response->head_len - response->head_sent;
    }
    if (response->body_sent < response->body_len) {
        size_t len;
        const char *body = handler_body_at(&response->plan, response->body_sent, &len);
        if (len > response->body_len - response->body_sent)
            len = (size_t)(response->body_len - response->body_sent);
        iov[n].iov_base = (char *)body;
        iov[n++].iov_len = len;
    }
    return n;
}

void response_advance(struct response *response, size_t n) {
    size_t from_head = response->head_len - response->head_sent;

    if (from_head > n)
        from_head = n;
    response->head_sent += from_head;
    response->body_sent += n - from_head;
}

void response_free(struct response *response) {
    free(response->stats_body);
    response->stats_body = NULL;
}
