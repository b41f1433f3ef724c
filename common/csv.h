/*
 * csv.h — the CSV that showdown writes and reads: RFC 4180 fields (a field
 * with a comma, quote or line break goes in double quotes, its quotes
 * doubled), one record per line, a header line first.
 *
 * Written by hand: Debian has no C CSV library in main that reads and
 * writes this (libcsv is not packaged for bookworm), and ours needs only
 * one record per line and errors that name the file and line.
 *
 * A table owns everything it holds; csv_table_free() releases it.
 */
#ifndef SHOWDOWN_CSV_H
#define SHOWDOWN_CSV_H

#include <stddef.h>

struct csv_row {
    char **fields; /* ncols of them, pointing into one allocation */
    unsigned line; /* the row's line in its file, for error messages */
};

struct csv_table {
    char *path;
    unsigned ncols;
    char **header;
    struct csv_row *rows;
    size_t nrows;
};

/* Writes value as one CSV field at out (quoted when it must be); returns
 * the bytes written, never more than cap - 1, and leaves out terminated. */
size_t csv_field(char *out, size_t cap, const char *value);

/* Splits one record in place into at most max fields. Returns the count,
 * or -1 with *column (1-based) where an opening quote is not closed or a
 * closing quote is followed by something other than a comma. */
int csv_split(char *line, char **fields, int max, unsigned *column);

/* Reads path whole. When header is not NULL the first line must be exactly
 * it. Every row must have as many fields as the header. Returns 0, or -1
 * with "PATH:LINE: reason" in err. */
int csv_read(const char *path, const char *header, struct csv_table *table, char *err,
             size_t err_len);

/* The index of column name, or -1. */
int csv_column(const struct csv_table *table, const char *name);

void csv_table_free(struct csv_table *table);

#endif
