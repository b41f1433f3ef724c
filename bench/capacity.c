/*
 * capacity.c — the name that marks a capacity row (see capacity.h).
 */
#include "capacity.h"

#include <stdio.h>
#include <string.h>

bool capacity_is_name(const char *row_scenario) {
    size_t n = strlen(row_scenario), k = strlen(CAPACITY_SUFFIX);
    return n > k && !strcmp(row_scenario + n - k, CAPACITY_SUFFIX);
}

bool capacity_is_row_of(const char *row_scenario, const char *scenario) {
    size_t n = strlen(scenario);
    return capacity_is_name(row_scenario) && !strncmp(row_scenario, scenario, n) &&
           !strcmp(row_scenario + n, CAPACITY_SUFFIX);
}

void capacity_base_name(const char *row_scenario, char *out, size_t cap) {
    size_t n = strlen(row_scenario);
    if (capacity_is_name(row_scenario))
        n -= strlen(CAPACITY_SUFFIX);
    snprintf(out, cap, "%.*s", (int)n, row_scenario);
}

void capacity_row_name(const char *scenario, char *out, size_t cap) {
    snprintf(out, cap, "%s%s", scenario, CAPACITY_SUFFIX);
}
