/*
 * runtime_cost.c — the runtime-cost calibration file (runtime_cost.h),
 * read with inih. inih's handler is not told the line (Debian builds it
 * without INI_HANDLER_LINENO), but ini_parse() returns the line of the
 * first handler that failed: the column is found afterwards, by looking
 * for the offending text on that line of the file.
 */
#include "runtime_cost.h"

#include "peers.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rtc_reader {
    struct rtc_table *table;
    struct rtc_model *current; /* the [model NAME] being read; NULL elsewhere */
    char section[128];
    char why[256];  /* what is wrong, once a handler failed */
    char where[64]; /* the text on the line it is about */
};

static int reject(struct rtc_reader *r, const char *where, const char *fmt, const char *arg) {
    snprintf(r->why, sizeof(r->why), fmt, arg);
    snprintf(r->where, sizeof(r->where), "%s", where);
    return 0;
}

const struct rtc_model *rtc_find(const struct rtc_table *table, const char *model) {
    for (unsigned i = 0; i < table->nmodels; i++)
        if (!strcmp(table->models[i].name, model))
            return &table->models[i];
    return NULL;
}

struct rtc_model *rtc_add(struct rtc_table *table, const char *model) {
    if (table->nmodels == RTC_MAX_MODELS)
        return NULL;
    struct rtc_model *m = &table->models[table->nmodels++];
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", model);
    return m;
}

/* A new section: [calibration] or [model NAME]. */
/* inih does not say when a section starts, only the section of each value:
 * a second [model X] reads as more of the first (its runtime_cost_us
 * twice is refused). */
static int enter_section(struct rtc_reader *r, const char *section) {
    snprintf(r->section, sizeof(r->section), "%s", section);
    r->current = NULL;
    if (!strcmp(section, "calibration"))
        return 1;
    if (strncmp(section, "model ", 6) != 0)
        return reject(r, section, "unknown section [%s] (calibration, model NAME)", section);
    const char *name = section + 6;
    if (!*name || strlen(name) >= sizeof(r->current->name) || strpbrk(name, " \t"))
        return reject(r, section, "[%s]: expected [model NAME]", section);
    if (peer_find(name))
        return reject(r, name, "%s is a real runtime; a cost is a C model's", name);
    r->current = rtc_add(r->table, name);
    return r->current ? 1 : reject(r, name, "more than %s models", "16");
}

static int calibration_key(struct rtc_reader *r, const char *key, const char *value) {
    struct rtc_table *t = r->table;
    if (!strcmp(key, "host"))
        snprintf(t->host, sizeof(t->host), "%s", value);
    else if (!strcmp(key, "date"))
        snprintf(t->date, sizeof(t->date), "%s", value);
    else {
        size_t n = strlen(t->record);
        snprintf(t->record + n, sizeof(t->record) - n, "%s = %s\n", key, value);
    }
    return 1;
}

static int model_key(struct rtc_reader *r, const char *key, const char *value) {
    struct rtc_model *m = r->current;
    char *end;
    if (!strcmp(key, "runtime_cost_us") && m->has_cost)
        return reject(r, key, "runtime_cost_us of [model %s] a second time", m->name);
    if (!strcmp(key, "runtime_cost_us")) {
        m->has_cost = true;
        long us = strtol(value, &end, 10);
        if (end == value || *end || us < 0 || us > RTC_MAX_US)
            return reject(r, value,
                          "runtime_cost_us: '%s' is not a whole number of µs from 0 "
                          "to 1000000",
                          value);
        m->cost_us = (unsigned)us;
    } else if (!strcmp(key, "real_cpu_us") || !strcmp(key, "c_cpu_us")) {
        double us = strtod(value, &end);
        if (end == value || *end || !(us >= 0))
            return reject(r, value, "'%s' is not a number of µs", value);
        *(key[0] == 'r' ? &m->real_cpu_us : &m->c_cpu_us) = us;
    } else if (!strcmp(key, "runtime")) {
        snprintf(m->runtime, sizeof(m->runtime), "%s", value);
    } else if (!strcmp(key, "estimate")) {
        snprintf(m->estimate, sizeof(m->estimate), "%s", value);
    } else {
        return reject(r, key,
                      "unknown key '%s' (runtime_cost_us, real_cpu_us, c_cpu_us, runtime, "
                      "estimate)",
                      key);
    }
    return 1;
}

static int on_value(void *user, const char *section, const char *key, const char *value) {
    struct rtc_reader *r = user;
    if (strcmp(section, r->section) != 0 && !enter_section(r, section))
        return 0;
    if (!strcmp(section, "calibration"))
        return calibration_key(r, key, value);
    return model_key(r, key, value);
}

/* The column (1-based) where text is on line `line` of path; 1 when not found. */
static unsigned column_of(const char *path, int line, const char *text) {
    char buf[512];
    FILE *in = fopen(path, "r");
    unsigned column = 1;
    for (int n = 1; in && fgets(buf, sizeof(buf), in); n++) {
        if (n != line)
            continue;
        const char *at = *text ? strstr(buf, text) : NULL;
        column = at ? (unsigned)(at - buf) + 1 : 1;
        break;
    }
    if (in)
        fclose(in);
    return column;
}

int rtc_read(const char *path, struct rtc_table *table, char *err, size_t err_len) {
    struct rtc_reader r = {.table = table};
    memset(table, 0, sizeof(*table));
    int line = ini_parse(path, on_value, &r);
    if (line < 0)
        return snprintf(err, err_len, "%s: cannot read it", path), -1;
    if (line > 0 && !r.why[0])
        snprintf(r.why, sizeof(r.why), "not a line of an ini file");
    if (line > 0)
        return snprintf(err, err_len, "%s:%d:%u: %s", path, line, column_of(path, line, r.where),
                        r.why),
               -1;
    if (table->nmodels == 0)
        return snprintf(err, err_len,
                        "%s: no [model NAME] section (bin/bench calibrate writes "
                        "them)",
                        path),
               -1;
    for (unsigned i = 0; i < table->nmodels; i++)
        if (!table->models[i].has_cost)
            return snprintf(err, err_len, "%s: [model %s] has no runtime_cost_us", path,
                            table->models[i].name),
                   -1;
    return 0;
}

int rtc_write(FILE *out, const struct rtc_table *t) {
    fprintf(out,
            "; bin/bench calibrate: each real runtime's server CPU per GET /hello, less its C\n"
            "; twin's, as bin/server --runtime-cost US (bin/bench run --calibration FILE).\n"
            "[calibration]\nhost = %s\ndate = %s\n%s",
            t->host, t->date, t->record);
    for (unsigned i = 0; i < t->nmodels; i++) {
        const struct rtc_model *m = &t->models[i];
        fprintf(out, "\n[model %s]\nruntime_cost_us = %u\n", m->name, m->cost_us);
        if (!m->estimate[0])
            fprintf(out, "real_cpu_us = %.1f\nc_cpu_us = %.1f\n", m->real_cpu_us, m->c_cpu_us);
        if (m->runtime[0])
            fprintf(out, "runtime = %s\n", m->runtime);
        if (m->estimate[0])
            fprintf(out, "estimate = %s\n", m->estimate);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
