/*
 * scenario_table.c — loading the scenarios of a results table's rows.
 */
#include "scenario_table.h"
#include "capacity.h"
#include "results.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int scenario_load_for_table(const struct csv_table *table, const char *scenario_dir,
                            struct scenario *scs, unsigned max) {
    char file[4096], err[512];
    unsigned n = 0;
    for (size_t i = 0; i < table->nrows && n < max; i++) {
        /* A capacity row (capacity.h) is of the scenario it names. */
        char name[1024], seen[1024];
        capacity_base_name(table->rows[i].fields[RC_SCENARIO], name, sizeof(name));
        bool is_seen = false;
        for (size_t j = 0; j < i && !is_seen; j++) {
            capacity_base_name(table->rows[j].fields[RC_SCENARIO], seen, sizeof(seen));
            is_seen = !strcmp(seen, name);
        }
        if (is_seen)
            continue;
        if (scenario_find(scenario_dir, name, file, sizeof(file)) < 0) {
            fprintf(stderr, "bench: %s:%u: scenario '%s': no %s; its rows are not judged\n",
                    table->path, table->rows[i].line, name, file);
            continue;
        }
        if (scenario_load(file, &scs[n], err, sizeof(err)) < 0) {
            fprintf(stderr, "bench: %s\n", err);
            for (unsigned s = 0; s < n; s++)
                scenario_free(&scs[s]);
            return -1;
        }
        n++;
    }
    return (int)n;
}
