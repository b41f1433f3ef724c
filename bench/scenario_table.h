/*
 * scenario_table.h — the scenarios a results table names, loaded from
 * their files for claims, report and fidelity.
 */
#ifndef SHOWDOWN_BENCH_SCENARIO_TABLE_H
#define SHOWDOWN_BENCH_SCENARIO_TABLE_H

#include "../common/csv.h"
#include "scenario.h"

/* Loads the scenarios a results table names, in the order of its rows
 * (from scenario_dir; one without a file is skipped with a warning naming
 * the row). Returns how many (at most max), or -1 with a message on stderr.
 * The caller frees each with scenario_free(). */
int scenario_load_for_table(const struct csv_table *table, const char *scenario_dir,
                            struct scenario *scs, unsigned max);

#endif
