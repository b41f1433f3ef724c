/*
 * options.h — parsing of command-line values: integers, durations, sizes.
 *
 * Each parser accepts the whole string or nothing; on failure it returns -1
 * and writes a one-line reason naming the value into err (the caller adds
 * the flag or file it came from). Nothing is allocated.
 *
 *   durations: a number with a unit: us, ms, s, m, h ("10s", "250ms",
 *              "1.5s", "2m"); a bare number is seconds, as in wrk.
 *   sizes:     a number with an optional binary suffix k, m, g (also KiB,
 *              MiB, GiB): "16k" is 16384 bytes.
 */
#ifndef SHOWDOWN_OPTIONS_H
#define SHOWDOWN_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define OPT_ERR_MAX 160

int opt_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                   size_t err_len);
int opt_parse_duration_us(const char *s, uint64_t *out_us, char *err, size_t err_len);
int opt_parse_size(const char *s, uint64_t *out_bytes, char *err, size_t err_len);

#endif
