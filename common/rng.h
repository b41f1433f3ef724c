/*
 * rng.h — splitmix64, the generator of Java's SplittableRandom (Vigna's
 * splitmix64.c has the same constants): a 64-bit state, one add and three
 * xor-shift-multiply rounds a draw. Not for anything secret; for a draw
 * that a seed reproduces: bin/loadgen's --mix choice, the tests' samples.
 *
 * The state is the caller's, one per thread.
 */
#ifndef SHOWDOWN_RNG_H
#define SHOWDOWN_RNG_H

#include <stdint.h>

/* Advances *state and returns the next 64 random bits. */
static inline uint64_t rng_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
