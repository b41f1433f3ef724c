/*
 * csv.c — RFC 4180 fields, one record per line (see csv.h).
 */
#include "csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLUMNS 64

size_t csv_field(char *out, size_t cap, const char *value) {
    size_t n = 0;
    bool quote = strpbrk(value, ",\"\r\n") != NULL;
    if (cap == 0)
        return 0;
    if (quote && n + 1 < cap)
        out[n++] = '"';
    for (; *value && n + 3 < cap; value++) {
        if (*value == '"')
            out[n++] = '"';
        out[n++] = *value;
    }
    if (quote && n + 1 < cap)
        out[n++] = '"';
    out[n] = '\0';
    return n;
}

int csv_split(char *line, char **fields, int max, unsigned *column) {
    char *in = line, *out = line;
    int count = 0;

    for (;;) {
        if (count == max) {
            *column = (unsigned)(in - line) + 1;
            return -1;
        }
        fields[count++] = out;
        if (*in == '"') {
            char *open = in++;
            for (;;) {
                if (*in == '\0') {
                    *column = (unsigned)(open - line) + 1;
                    return -1;
                }
                if (*in == '"' && in[1] == '"') {
                    *out++ = '"';
                    in += 2;
                } else if (*in == '"') {
                    in++;
                    break;
                } else {
                    *out++ = *in++;
                }
            }
            if (*in != ',' && *in != '\0') {
                *column = (unsigned)(in - line) + 1;
                return -1;
            }
        } else {
            while (*in && *in != ',')
                *out++ = *in++;
        }
        if (*in == '\0') {
            *out = '\0';
            return count;
        }
        *out++ = '\0';
        in++;
    }
}

static void chomp(char *line) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
}

static int fail(char *err, size_t err_len, const char *path, unsigned line, const char *what) {
    snprintf(err, err_len, "%s:%u: %s", path, line, what);
    return -1;
}

int csv_read(const char *path, const char *header, struct csv_table *table, char *err,
             size_t err_len) {
    char *line = NULL, *fields[CSV_MAX_COLUMNS], why[160];
    size_t cap = 0, rows_cap = 0;
    unsigned number = 0, column;
    FILE *in = fopen(path, "r");

    memset(table, 0, sizeof(*table));
    if (!in) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    table->path = strdup(path);
    while (getline(&line, &cap, in) >= 0) {
        number++;
        chomp(line);
        if (number == 1 && header && strcmp(line, header) != 0) {
            fail(err, err_len, path, 1, "not a showdown results CSV: its header differs");
            goto fail;
        }
        if (number > 1 && line[0] == '\0')
            continue;
        char *copy = strdup(line);
        int n = copy ? csv_split(copy, fields, CSV_MAX_COLUMNS, &column) : -1;
        if (n < 0) {
            free(copy);
            snprintf(why, sizeof(why), "column %u: malformed quoted field", column);
            fail(err, err_len, path, number, why);
            goto fail;
        }
        char **kept = malloc((size_t)n * sizeof(*kept));
        if (!kept) {
            free(copy);
            fail(err, err_len, path, number, "out of memory");
            goto fail;
        }
        memcpy(kept, fields, (size_t)n * sizeof(*kept));
        if (number == 1) {
            table->header = kept;
            table->ncols = (unsigned)n;
            continue;
        }
        if ((unsigned)n != table->ncols) {
            free(kept[0]);
            free(kept);
            snprintf(why, sizeof(why), "%d fields, the header has %u", n, table->ncols);
            fail(err, err_len, path, number, why);
            goto fail;
        }
        if (table->nrows == rows_cap) {
            rows_cap = rows_cap ? 2 * rows_cap : 64;
            struct csv_row *grown = realloc(table->rows, rows_cap * sizeof(*grown));
            if (!grown) {
                free(kept[0]);
                free(kept);
                fail(err, err_len, path, number, "out of memory");
                goto fail;
            }
            table->rows = grown;
        }
        table->rows[table->nrows++] = (struct csv_row){.fields = kept, .line = number};
    }
    if (number == 0) {
        fail(err, err_len, path, 1, "empty file: no header");
        goto fail;
    }
    free(line);
    fclose(in);
    return 0;
fail:
    free(line);
    fclose(in);
    csv_table_free(table);
    return -1;
}

int csv_column(const struct csv_table *table, const char *name) {
    for (unsigned i = 0; i < table->ncols; i++) {
        if (strcmp(table->header[i], name) == 0)
            return (int)i;
    }
    return -1;
}

void csv_table_free(struct csv_table *table) {
    for (size_t i = 0; i < table->nrows; i++) {
        free(table->rows[i].fields[0]);
        free(table->rows[i].fields);
    }
    if (table->header) {
        free(table->header[0]);
        free(table->header);
    }
    free(table->rows);
    free(table->path);
    memset(table, 0, sizeof(*table));
}
