/* gil.c — see gil.h; take_gil() and drop_gil() after Python/ceval_gil.c. */
#include "gil.h"

#include "../common/clock.h"

#include <errno.h>
#include <time.h>

int gil_init(struct gil *gil, uint64_t interval_us) {
    pthread_condattr_t attr;
    int rc;

    gil->locked = false;
    gil->last_holder = NULL;
    gil->switch_number = 0;
    gil->interval_us = interval_us ? interval_us : GIL_DEFAULT_INTERVAL_US;
    atomic_init(&gil->drop_request, false);
    atomic_init(&gil->takes, 0);
    atomic_init(&gil->switches, 0);
    atomic_init(&gil->forced_drops, 0);
    atomic_init(&gil->wait_ns, 0);
    if ((rc = pthread_mutex_init(&gil->mutex, NULL)) != 0)
        return rc;
    /* Timed waits on the monotonic clock: a wall-clock step must not change
     * the switch interval. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&gil->cond, &attr);
    if (rc == 0)
        rc = pthread_cond_init(&gil->switch_cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

void gil_destroy(struct gil *gil) {
    pthread_cond_destroy(&gil->switch_cond);
    pthread_cond_destroy(&gil->cond);
    pthread_mutex_destroy(&gil->mutex);
}

static struct timespec deadline_after(uint64_t us) {
    uint64_t at = clock_now_ns() + us * 1000;
    struct timespec ts = {(time_t)(at / 1000000000u), (long)(at % 1000000000u)};
    return ts;
}

void gil_take(struct gil *gil, const void *holder) {
    uint64_t start = 0;

    pthread_mutex_lock(&gil->mutex);
    if (gil->locked) {
        start = clock_now_ns();
        while (gil->locked) {
            uint64_t switch_number = gil->switch_number;
            struct timespec deadline = deadline_after(gil->interval_us);
            int rc = pthread_cond_timedwait(&gil->cond, &gil->mutex, &deadline);
            /* Timed out with no switch meanwhile: ask the holder to drop it. */
            if (rc == ETIMEDOUT && gil->locked && gil->switch_number == switch_number)
                atomic_store(&gil->drop_request, true);
        }
    }
    gil->locked = true;
    atomic_fetch_add_explicit(&gil->takes, 1, memory_order_relaxed);
    /* A switch is a change of holder: a thread that drops the lock and takes
     * it back meanwhile does not restart a waiter's interval. */
    if (gil->last_holder != holder) {
        gil->last_holder = holder;
        gil->switch_number++;
        atomic_fetch_add_explicit(&gil->switches, 1, memory_order_relaxed);
    }
    /* FORCE_SWITCHING: the thread that dropped it on request may go on. */
    pthread_cond_signal(&gil->switch_cond);
    /* The request was for whoever held it before; we have it now. */
    atomic_store(&gil->drop_request, false);
    pthread_mutex_unlock(&gil->mutex);
    if (start)
        atomic_fetch_add_explicit(&gil->wait_ns, clock_now_ns() - start, memory_order_relaxed);
}

/* drop_gil(): releases the lock and, FORCE_SWITCHING, when another thread
 * has asked for it, waits until that thread has taken it — whatever the
 * drop is for, a checkpoint's or a blocking call's — so the one that asked
 * really gets it. */
void gil_drop(struct gil *gil, const void *holder) {
    pthread_mutex_lock(&gil->mutex);
    gil->locked = false;
    pthread_cond_signal(&gil->cond);
    if (atomic_load(&gil->drop_request)) {
        atomic_fetch_add_explicit(&gil->forced_drops, 1, memory_order_relaxed);
        atomic_store(&gil->drop_request, false);
        while (gil->last_holder == holder)
            pthread_cond_wait(&gil->switch_cond, &gil->mutex);
    }
    pthread_mutex_unlock(&gil->mutex);
}

bool gil_checkpoint(struct gil *gil, const void *holder) {
    if (!atomic_load_explicit(&gil->drop_request, memory_order_relaxed))
        return false;
    gil_drop(gil, holder);
    gil_take(gil, holder);
    return true;
}

void gil_get_stats(struct gil *gil, struct gil_stats *stats) {
    stats->takes = atomic_load(&gil->takes);
    stats->switches = atomic_load(&gil->switches);
    stats->forced_drops = atomic_load(&gil->forced_drops);
    stats->wait_ns = atomic_load(&gil->wait_ns);
}
