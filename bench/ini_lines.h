/*
 * ini_lines.h — reading an ini file with inih while knowing where each
 * value is: inih's ini_parse_stream() is driven with our own line reader,
 * which keeps the current line's number and text, because Debian's inih
 * does not tell its handler the line (INI_HANDLER_LINENO is off). Errors
 * read "FILE:LINE[:COLUMN]: reason". Scenarios (scenario.c) and hosts
 * files (hosts.c) are read through it.
 */
#ifndef SHOWDOWN_BENCH_INI_LINES_H
#define SHOWDOWN_BENCH_INI_LINES_H

#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ini_lines {
    FILE *in;
    const char *file;
    unsigned line;               /* the current line's number, 1-based */
    char raw[512];               /* the current line as read */
    unsigned section_line;       /* the last [section] header's line */
    bool has_keys;               /* the last section has a line that is not blank or a comment */
    unsigned empty_section_line; /* the first section without any key; 0: none */
    char *err;
    size_t err_len;
    bool is_failed; /* an error is in err; reading stops */
};

/* Puts "FILE:LINE:COLUMN: reason" (no column when it is 0) in l->err and
 * marks l failed. Returns 0, which tells inih's handler to stop. */
int ini_lines_fail(struct ini_lines *l, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ini_lines_vfail(struct ini_lines *l, unsigned line, unsigned column, const char *fmt,
                    va_list ap);

/* The column (1-based) where value starts in the current line. */
unsigned ini_lines_column(const struct ini_lines *l, const char *value);

/* Reads file with inih, handler getting user; l is filled for the handler
 * to read (l->line, l->raw) and must be the first thing user reaches, or
 * user itself. Returns 0, or -1 with the reason in err (a file that cannot
 * be read, a line that is not ini, a line too long, or what the handler
 * failed with). */
int ini_lines_parse(struct ini_lines *l, const char *file, ini_handler handler, void *user,
                    char *err, size_t err_len);

#endif
