/*
 * report_environment.h — the report's "Environment" section: what run.json
 * (runinfo.h, environment.h) says the run ran on — kernel, governor, boost,
 * SMT, virtualisation, clock source, limits, git revision, the library and
 * runtime versions — each absent fact with its reason, and the warnings
 * bench gave before the run (warnings.h), which it also prints.
 */
#ifndef SHOWDOWN_BENCH_REPORT_ENVIRONMENT_H
#define SHOWDOWN_BENCH_REPORT_ENVIRONMENT_H

#include <stdio.h>

/* Writes the section from run_dir/run.json to out; a CSV without one
 * (a run before run.json, or a copied CSV) gets a line saying so, on the
 * page and on stderr. The warnings go to stdout too. Never fails. */
void report_environment_html(FILE *out, const char *run_dir);

#endif
