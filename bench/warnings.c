/* warnings.c — see warnings.h. */
#define _GNU_SOURCE
#include "warnings.h"
#include "environment.h"
#include "progress.h"
#include "rows.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Says one warning on stderr and in run.log; appends it to list if any. */
__attribute__((format(printf, 3, 4))) static void warn(struct runner *r, json_t *list,
                                                       const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    progress_clear(r);
    fprintf(stderr, "***WARNING*** %s\n", text);
    outputs_log(&r->out, "***WARNING*** %s\n", text);
    if (list)
        json_array_append_new(list, json_string(text));
}

json_t *warn_before_run(struct runner *r, const struct scenario *scs, int nscs, const json_t *env) {
    json_t *list = json_array();
    const char *governor = json_string_value(json_object_get(env, "governor"));
    if (governor && strcmp(governor, ENV_GOVERNOR_STEADY) != 0)
        warn(r, list,
             "CPU scaling is enabled (governor %s, not " ENV_GOVERNOR_STEADY
             "): the measurements may be noisy and will incur extra overhead",
             governor);
    for (int s = 0; s < nscs; s++) {
        cpu_set_t server, loadgen, both;
        const char *server_text, *loadgen_text;
        cpus_for(&r->cpus, scs[s].is_pinned, &server, &loadgen, &server_text, &loadgen_text);
        CPU_AND(&both, &server, &loadgen);
        if (CPU_COUNT(&both) > 0)
            warn(r, list,
                 "%s: the server (CPU %s) and bin/loadgen (CPU %s) share %d core(s)%s: each "
                 "takes cycles from the other",
                 scs[s].name, server_text, loadgen_text, CPU_COUNT(&both),
                 scs[s].is_pinned ? " (one CPU to split)" : " (pin = no)");
    }
    return list;
}

void warn_after_measurement(struct runner *r, const struct measurement *m,
                            const struct csv_table *lg) {
    double cpu_s = strtod(rows_loadgen_field(lg, 0, RC_LOADGEN_CPU_S), NULL);
    double window_s = (double)(m->set->warmup_us + m->set->duration_us) / 1e6;
    int cores = CPU_COUNT(&m->loadgen_cpus);
    if (lg->nrows && window_s > 0 && cpu_s > WARN_SATURATED_SHARE * window_s * cores)
        warn(r, NULL,
             "%s: model %s c=%u r%u: bin/loadgen used %.0f%% of its %d core(s): it may be "
             "what limited these figures",
             m->sc->name, m->model->name, m->connections, m->repeat,
             100 * cpu_s / (window_s * cores), cores);
}
