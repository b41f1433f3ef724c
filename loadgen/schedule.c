/*
 * schedule.c — when requests are due, in one place. wrk2's schedule
 * (request k of a connection due at start + k / rate_per_connection),
 * with the connections interleaved so that the run as a whole sends at an
 * even pace instead of in bursts of `connections` requests.
 */
#include "loadgen.h"

uint64_t lg_due_ns(double rate, unsigned connections, unsigned g, uint64_t k) {
    double nth = (double)k * (double)connections + (double)g;
    return (uint64_t)(nth * 1e9 / rate);
}

unsigned lg_share(unsigned total, unsigned parts, unsigned index) {
    return total / parts + (index < total % parts ? 1 : 0);
}
