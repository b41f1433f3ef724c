/*
 * ini_lines.c — inih driven line by line, each value's line and column
 * known (see ini_lines.h). Debian's inih reads at most 199 characters a
 * line (INI_MAX_LINE 200): a longer line is an error, not a cut value.
 */
#include "ini_lines.h"

#include <stdio.h>
#include <string.h>

int ini_lines_vfail(struct ini_lines *l, unsigned line, unsigned column, const char *fmt,
                    va_list ap) {
    char why[384];
    vsnprintf(why, sizeof(why), fmt, ap);
    if (column)
        snprintf(l->err, l->err_len, "%s:%u:%u: %s", l->file, line, column, why);
    else
        snprintf(l->err, l->err_len, "%s:%u: %s", l->file, line, why);
    l->is_failed = true;
    return 0;
}

int ini_lines_fail(struct ini_lines *l, unsigned line, unsigned column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ini_lines_vfail(l, line, column, fmt, ap);
    va_end(ap);
    return 0;
}

/* Notes the section just ended when it had no key. */
static void note_empty_section(struct ini_lines *l) {
    if (l->section_line && !l->has_keys && !l->empty_section_line)
        l->empty_section_line = l->section_line;
}

static char *read_line(char *str, int num, void *stream) {
    struct ini_lines *l = stream;
    if (l->is_failed || !fgets(str, num, l->in))
        return NULL;
    l->line++;
    size_t n = strlen(str);
    if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(l->in)) {
        ini_lines_fail(l, l->line, 0,
                       "line longer than %d characters; continue the value on indented lines",
                       num - 1);
        return NULL;
    }
    snprintf(l->raw, sizeof(l->raw), "%s", str);
    char first = str[strspn(str, " \t")];
    if (first == '[') {
        note_empty_section(l);
        l->section_line = l->line;
        l->has_keys = false;
        /* inih cuts a section's name at 49 characters without a word, so
         * two long names could merge into one section. */
        if (strcspn(str, "]") > strspn(str, " \t") + 50)
            return ini_lines_fail(l, l->line, 0, "a section's name is at most 49 characters"), NULL;
    } else if (first && !strchr(";#\r\n", first)) {
        l->has_keys = true;
    }
    return str;
}

unsigned ini_lines_column(const struct ini_lines *l, const char *value) {
    const char *at = *value ? strstr(l->raw, value) : NULL;
    if (!at) {
        const char *eq = strchr(l->raw, '=');
        return eq ? (unsigned)(eq - l->raw) + 2 : 1;
    }
    return (unsigned)(at - l->raw) + 1;
}

int ini_lines_parse(struct ini_lines *l, const char *file, ini_handler handler, void *user,
                    char *err, size_t err_len) {
    l->file = file;
    l->err = err;
    l->err_len = err_len;
    l->line = l->section_line = 0;
    l->is_failed = false;
    l->in = fopen(file, "r");
    if (!l->in) {
        snprintf(err, err_len, "%s: cannot read it", file);
        return -1;
    }
    l->has_keys = false;
    l->empty_section_line = 0;
    int rc = ini_parse_stream(read_line, l, handler, user);
    note_empty_section(l);
    if (rc != 0 && !l->is_failed)
        ini_lines_fail(l, (unsigned)rc, 0, "not an ini line (expected [section] or key = value)");
    fclose(l->in);
    l->in = NULL;
    return l->is_failed ? -1 : 0;
}
