/* work.c — see work.h. */
#include "work.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* HASHLIB_GIL_MINSIZE (Modules/hashlib.h): a smaller buffer is hashed
 * with the GIL held. */
#define WORK_GIL_MINSIZE 2048

bool work_is_due(const struct reply_plan *plan) {
    return plan->cpu_us > 0 || plan->result_of != RESULT_NONE;
}

/* SHA-256 of the first kb KiB of the /bytes pattern, in lowercase hex. The
 * pattern comes in handler_body_at()'s chunks, one EVP update each. */
static int hash_pattern(uint64_t kb, char hex[HANDLER_RESULT_CAP]) {
    struct reply_plan data = {.body_len = kb * 1024};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    size_t len;

    /* One context per request, as hashlib.sha256() makes one. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (uint64_t at = 0; ok && at < data.body_len; at += len) {
        const char *chunk = handler_body_at(&data, at, &len);
        ok = EVP_DigestUpdate(ctx, chunk, len);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, digest, &digest_len);
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; ok && i < digest_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return ok ? 0 : -1;
}

/* /hash: the digest with the GIL released, as hashlib does for a buffer
 * of HASHLIB_GIL_MINSIZE bytes or more. */
static int hash_released(struct reply_plan *plan, const struct work_gil *gil) {
    bool is_released = gil && plan->hash_kb * 1024 >= WORK_GIL_MINSIZE;

    if (is_released)
        gil->release(gil->arg);
    int rc = hash_pattern(plan->hash_kb, plan->result);
    if (is_released)
        gil->retake(gil->arg);
    return rc;
}

int work_perform(struct reply_plan *plan, const struct work_gil *gil) {
    cpuwork_checkpoint_fn checkpoint = gil ? gil->checkpoint : NULL;
    void *arg = gil ? gil->arg : NULL;

    if (plan->cpu_us > 0)
        cpuwork_run(plan->cpu_us, checkpoint, arg);
    if (plan->result_of == RESULT_WORK)
        snprintf(plan->result, sizeof(plan->result), "%u",
                 cpuwork_fixed(plan->work_n, checkpoint, arg));
    if (plan->result_of == RESULT_HASH && hash_released(plan, gil) < 0) {
        handler_error(500, "sha256 failed in libcrypto\n", plan);
        return -1;
    }
    if (plan->result_of != RESULT_NONE)
        plan->body_len = strlen(plan->result);
    return 0;
}
