/* html.c — see html.h. */
#define _GNU_SOURCE
#include "html.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void html_text(FILE *out, const char *text) {
    static const char *const entities[256] = {
        ['<'] = "&lt;", ['>'] = "&gt;", ['&'] = "&amp;", ['"'] = "&quot;"};
    for (const char *p = text ? text : ""; *p; p++) {
        const char *entity = entities[(unsigned char)*p];
        if (entity)
            fputs(entity, out);
        else
            fputc(*p, out);
    }
}

int html_inline_svg(FILE *out, const char *file) {
    FILE *in = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0;
    bool is_started = false;
    if (!in)
        return -1;
    while (getline(&line, &cap, in) >= 0) {
        if (!is_started && strncmp(line, "<svg", 4) != 0)
            continue;
        is_started = true;
        fputs(line, out);
    }
    free(line);
    fclose(in);
    return is_started ? 0 : -1;
}
