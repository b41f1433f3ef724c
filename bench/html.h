/*
 * html.h — the few pieces of HTML the report writes by hand (report.c,
 * report_percentiles.c, report_environment.c): text escaped, an SVG file
 * inlined.
 */
#ifndef SHOWDOWN_BENCH_HTML_H
#define SHOWDOWN_BENCH_HTML_H

#include <stdio.h>

/* Writes text (NULL: nothing) with <, >, & and " escaped. */
void html_text(FILE *out, const char *text);

/* Copies an SVG file into the page, without its XML prolog. Returns 0,
 * or -1 when it cannot be read or holds no <svg. */
int html_inline_svg(FILE *out, const char *file);

#endif
