/*
 * scenario.c — scenarios/NAME.ini, read with inih (see scenario.h).
 *
 * inih is driven line by line (ini_lines.h), so that every value is
 * known with its line and column. Debian's inih reads at most 199
 * characters a line; a longer value continues on indented lines, which
 * are joined with a space.
 */
#define _GNU_SOURCE /* memrchr */
#include "scenario.h"
#include "ini_lines.h"

#include "../common/options.h"
#include "peers.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEGMENTS 8

/* Where the pieces of one joined value are in the file. */
struct segment {
    unsigned line, column; /* of the piece's first character */
    size_t offset;         /* in the joined value */
};

struct reader {
    struct ini_lines lines; /* first: inih's stream and handler both get the reader */
    struct scenario *sc;
    char section[128], key[64]; /* the last value's, to join continuations */
    char **last_value;
    unsigned scenario_line; /* the [scenario] header's */
    struct segment expect_at[SC_MAX_CLAIMS][SEGMENTS];
    unsigned nexpect_at[SC_MAX_CLAIMS];
    struct segment stated_at[SC_MAX_CLAIMS], quote_at[SC_MAX_CLAIMS]; /* line and column */
};

static int fail(struct reader *r, unsigned line, unsigned column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ini_lines_vfail(&r->lines, line, column, fmt, ap);
    va_end(ap);
    return 0; /* inih: stop treating this as a success */
}

static unsigned value_column(const struct reader *r, const char *value) {
    return ini_lines_column(&r->lines, value);
}

static bool is_yes(const char *v, bool *out) {
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
        return *out = true;
    if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = false;
        return true;
    }
    return false;
}

/* Drops the double quotes around a whole value, in place. */
static void unquote(char *v) {
    size_t n = v ? strlen(v) : 0;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        memmove(v, v + 1, n - 2);
        v[n - 2] = '\0';
    }
}

/* A setting that [scenario] and [quick] both take. Returns 1 if key was one. */
static int settings_key(struct reader *r, struct sc_settings *s, const char *key,
                        const char *value) {
    char why[256];
    uint64_t n;
    unsigned column = value_column(r, value);
    if (!strcmp(key, "connections")) {
        char *copy = strdup(value), *save = NULL;
        s->nlevels = 0;
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (s->nlevels == SC_MAX_LEVELS) {
                free(copy);
                return fail(r, r->lines.line, column, "at most %d connection levels",
                            SC_MAX_LEVELS);
            }
            if (opt_parse_uint(tok, 1, 1000000, &n, why, sizeof(why)) < 0) {
                fail(r, r->lines.line, column + (unsigned)(tok - copy), "connections: '%s': %s",
                     tok, why);
                free(copy);
                return 0;
            }
            s->connections[s->nlevels++] = (unsigned)n;
        }
        free(copy);
        if (s->nlevels == 0)
            return fail(r, r->lines.line, column, "connections: give one level or more");
    } else if (!strcmp(key, "duration") || !strcmp(key, "warmup")) {
        if (opt_parse_duration_us(value, &n, why, sizeof(why)) < 0)
            return fail(r, r->lines.line, column, "%s: %s", key, why);
        bool is_duration = !strcmp(key, "duration");
        if (is_duration && n < 100000)
            return fail(r, r->lines.line, column, "duration: at least 100ms");
        *(is_duration ? &s->duration_us : &s->warmup_us) = n;
    } else if (!strcmp(key, "repeat")) {
        if (opt_parse_uint(value, 1, EX_MAX_SAMPLES, &n, why, sizeof(why)) < 0)
            return fail(r, r->lines.line, column, "repeat: %s", why);
        s->repeat = (unsigned)n;
    } else if (!strcmp(key, "rate")) {
        char *end;
        s->rate = strtod(value, &end);
        if (end == value || *end || !(s->rate >= 0 && s->rate <= 1e8))
            return fail(r, r->lines.line, column, "rate: expected requests per second, e.g. 1000");
    } else {
        return -1;
    }
    return 1;
}

static int scenario_key(struct reader *r, const char *key, const char *value) {
    struct scenario *sc = r->sc;
    unsigned column = value_column(r, value);
    char why[256];
    int rc = settings_key(r, &sc->full, key, value);
    if (rc >= 0)
        return rc;
    if (!strcmp(key, "description")) {
        free(sc->description);
        sc->description = strdup(value);
        r->last_value = &sc->description;
    } else if (!strcmp(key, "path") || !strcmp(key, "mix")) {
        if (sc->path)
            return fail(r, r->lines.line, column, "give path or mix, once");
        if (value[0] != '/')
            return fail(r, r->lines.line, column, "%s: expected a path starting with '/'", key);
        sc->path = strdup(value);
        sc->is_mix = !strcmp(key, "mix");
    } else if (!strcmp(key, "models")) {
        char *copy = strdup(value), *save = NULL;
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (sc->nmodels == SC_MAX_MODELS) {
                free(copy);
                return fail(r, r->lines.line, column, "at most %d models", SC_MAX_MODELS);
            }
            sc->models[sc->nmodels++].name = strdup(tok);
        }
        free(copy);
    } else if (!strcmp(key, "timeout")) {
        if (opt_parse_duration_us(value, &sc->timeout_us, why, sizeof(why)) < 0)
            return fail(r, r->lines.line, column, "timeout: %s", why);
    } else if (!strcmp(key, "pin") || !strcmp(key, "close") || !strcmp(key, "streams")) {
        bool *flag = !strcmp(key, "pin")     ? &sc->is_pinned
                     : !strcmp(key, "close") ? &sc->is_close
                                             : &sc->is_streams;
        if (!is_yes(value, flag))
            return fail(r, r->lines.line, column, "%s: expected yes or no", key);
    } else if (!strcmp(key, "slo")) {
        unsigned at = 1;
        if (slo_parse(value, &sc->slo, &at, why, sizeof(why)) < 0)
            return fail(r, r->lines.line, column + at - 1, "slo '%s': %s", value, why);
        sc->has_slo = true;
    } else if (!strcmp(key, "server_args")) {
        free(sc->server_args);
        sc->server_args = strdup(value);
        r->last_value = &sc->server_args;
    } else {
        return fail(r, r->lines.line, 0, "unknown key '%s' in [scenario]", key);
    }
    return 1;
}

static struct sc_model *model_named(struct scenario *sc, const char *name) {
    for (unsigned i = 0; i < sc->nmodels; i++) {
        if (!strcmp(sc->models[i].name, name))
            return &sc->models[i];
    }
    return NULL;
}

static int claim_key(struct reader *r, const char *name, const char *key, const char *value) {
    struct scenario *sc = r->sc;
    struct sc_claim *c = sc->nclaims ? &sc->claims[sc->nclaims - 1] : NULL;
    if (!c || strcmp(c->name, name) != 0) {
        for (unsigned i = 0; i < sc->nclaims; i++) {
            if (!strcmp(sc->claims[i].name, name))
                return fail(r, r->lines.line, 0, "[claim %s] given twice", name);
        }
        if (sc->nclaims == SC_MAX_CLAIMS)
            return fail(r, r->lines.line, 0, "at most %d claims a scenario", SC_MAX_CLAIMS);
        c = &sc->claims[sc->nclaims++];
        c->name = strdup(name);
        c->line = r->lines.section_line;
    }
    unsigned index = (unsigned)(c - sc->claims);
    char **slot = !strcmp(key, "quote")    ? &c->quote
                  : !strcmp(key, "source") ? &c->source
                  : !strcmp(key, "expect") ? &c->text
                  : !strcmp(key, "stated") ? &c->stated_text
                  : !strcmp(key, "reason") ? &c->reason
                                           : NULL;
    if (!strcmp(key, "required")) {
        if (!is_yes(value, &c->is_required))
            return fail(r, r->lines.line, value_column(r, value), "required: expected yes or no");
        return 1;
    }
    if (!strcmp(key, "judge")) {
        static const char *const judges[] = {
            [SC_JUDGE_BOTH] = "both", [SC_JUDGE_MODEL] = "model", [SC_JUDGE_REAL] = "real"};
        for (unsigned j = 0; j < sizeof(judges) / sizeof(judges[0]); j++)
            if (!strcmp(value, judges[j]))
                return c->judge = (enum sc_judge)j, 1;
        return fail(r, r->lines.line, value_column(r, value),
                    "judge: expected both, model or real");
    }
    if (!slot)
        return fail(r, r->lines.line, 0,
                    "unknown key '%s' in [claim %s] (quote, source, expect, required, judge, "
                    "reason, stated)",
                    key, name);
    if (*slot)
        return fail(r, r->lines.line, 0, "%s given twice in [claim %s]", key, name);
    *slot = strdup(value);
    r->last_value = slot;
    if (slot == &c->stated_text)
        r->stated_at[index] = (struct segment){r->lines.line, value_column(r, value), 0};
    if (slot == &c->quote)
        r->quote_at[index] = (struct segment){r->lines.line, value_column(r, value), 0};
    if (slot == &c->text) {
        r->expect_at[index][0] = (struct segment){r->lines.line, value_column(r, value), 0};
        r->nexpect_at[index] = 1;
    }
    return 1;
}

/* An indented line: more of the last value. */
static int continue_value(struct reader *r, const char *value) {
    char **slot = r->last_value;
    size_t old = strlen(*slot), add = strlen(value);
    char *joined = realloc(*slot, old + add + 2);
    if (!joined)
        return fail(r, r->lines.line, 0, "out of memory");
    joined[old] = ' ';
    memcpy(joined + old + 1, value, add + 1);
    *slot = joined;
    struct scenario *sc = r->sc;
    for (unsigned i = 0; i < sc->nclaims; i++) {
        if (slot == &sc->claims[i].text && r->nexpect_at[i] < SEGMENTS)
            r->expect_at[i][r->nexpect_at[i]++] =
                (struct segment){r->lines.line, value_column(r, value), old + 1};
    }
    return 1;
}

static int on_value(void *user, const char *section, const char *key, const char *value) {
    struct reader *r = user;
    bool is_continued = isspace((unsigned char)r->lines.raw[0]) && !strcmp(section, r->section) &&
                        !strcmp(key, r->key) && r->last_value;
    snprintf(r->section, sizeof(r->section), "%s", section);
    snprintf(r->key, sizeof(r->key), "%s", key);
    if (is_continued)
        return continue_value(r, value);
    r->last_value = NULL;
    if (!strcmp(section, "scenario")) {
        r->scenario_line = r->lines.section_line;
        return scenario_key(r, key, value);
    }
    if (!strcmp(section, "quick")) {
        int rc = settings_key(r, &r->sc->quick, key, value);
        return rc >= 0 ? rc : fail(r, r->lines.line, 0, "unknown key '%s' in [quick]", key);
    }
    if (!strncmp(section, "model ", 6)) {
        struct sc_model *m = model_named(r->sc, section + 6);
        if (!m)
            return fail(r, r->lines.line, 0, "[%s]: not in this scenario's models (list it first)",
                        section);
        if (strcmp(key, "args") != 0)
            return fail(r, r->lines.line, 0, "unknown key '%s' in [%s] (args)", key, section);
        free(m->args);
        m->args = strdup(value);
        r->last_value = &m->args;
        return 1;
    }
    if (!strncmp(section, "claim ", 6) && section[6])
        return claim_key(r, section + 6, key, value);
    return fail(r, r->lines.line, 0,
                "unknown section [%s] ([scenario], [quick], [model NAME], "
                "[claim NAME])",
                section);
}

/* Maps an offset in a joined expect to its line and column. */
static void locate(const struct reader *r, unsigned claim, unsigned offset, unsigned *line,
                   unsigned *column) {
    const struct segment *seg = &r->expect_at[claim][0];
    for (unsigned i = 1; i < r->nexpect_at[claim]; i++) {
        if (r->expect_at[claim][i].offset <= offset)
            seg = &r->expect_at[claim][i];
    }
    *line = seg->line;
    *column = seg->column + (unsigned)(offset - seg->offset);
}

static bool has_level(const struct sc_settings *s, unsigned level) {
    for (unsigned i = 0; i < s->nlevels; i++) {
        if (s->connections[i] == level)
            return true;
    }
    return false;
}

/* A call must name a model of the scenario, levels both settings measure,
 * and a level at all when there are several. */
static int check_call(struct reader *r, unsigned claim, const struct expr *e,
                      const struct ex_call *call) {
    struct scenario *sc = r->sc;
    struct ex_filter filters[2 * EX_MAX_FILTERS];
    unsigned n = ex_call_filters(e, call, filters), line, column;
    locate(r, claim, call->offset, &line, &column);
    const struct peer *peer = peer_find(call->model);
    if (!model_named(sc, call->model) && !(peer && model_named(sc, peer->twin)))
        return fail(r, line, column, "model '%s' is not in this scenario's models%s", call->model,
                    peer ? " (nor is its twin)" : "");
    const char *level = ex_filter_value(filters, n, EX_CONNECTIONS);
    /* A capacity is found at one level (capacity.h): no level to name. */
    if (!level && call->metric != EX_CAPACITY && (sc->full.nlevels > 1 || sc->quick.nlevels > 1))
        return fail(r, line, column, "say which level: connections=N (the scenario has several)");
    if (level && (!has_level(&sc->full, (unsigned)atoi(level)) ||
                  !has_level(&sc->quick, (unsigned)atoi(level))))
        return fail(r, line, column,
                    "connections=%s is not measured by both the full and the "
                    "quick settings",
                    level);
    const char *path = ex_filter_value(filters, n, EX_PATH);
    if (path && !scenario_is_main_path(sc, path) && !scenario_has_path(sc, path))
        return fail(r, line, column, "path=%s is not a path of this scenario", path);
    return 0;
}

/* The real runtime that stands for model (itself when it is one). */
static const char *real_twin(void *ctx, const char *model) {
    (void)ctx;
    const struct peer *peer = peer_find(model);
    if (peer)
        return peer->name;
    peer = peer_of_twin(model);
    return peer ? peer->name : NULL;
}

/* The first call of e that names a real runtime (offset UINT_MAX), or
 * starts at offset; NULL when none does. */
static const struct ex_call *find_call(const struct expr *e, unsigned offset) {
    const struct ex_side *sides[2] = {&e->left, &e->right};
    for (unsigned s = 0; s < 2; s++)
        for (unsigned t = 0; t < sides[s]->nterms; t++) {
            const struct ex_call *call = &sides[s]->terms[t].call;
            if (sides[s]->terms[t].is_call &&
                (offset == UINT_MAX ? peer_find(call->model) != NULL : call->offset == offset))
                return call;
        }
    return NULL;
}

/* What judge, reason, required and stated ask of claim i, and its twin
 * expression; a fault sets r->lines.is_failed (fail()). */
static int check_judging(struct reader *r, unsigned i) {
    struct sc_claim *c = &r->sc->claims[i];
    char why[256];
    unsigned line, column, offset;
    const struct ex_call *real = find_call(&c->expr, UINT_MAX);
    if (c->judge != SC_JUDGE_BOTH && (!c->reason || !*c->reason))
        return fail(r, c->line, 0, "[claim %s] is judged on one side only: say why in reason = ...",
                    c->name);
    if (c->judge != SC_JUDGE_REAL && real) {
        locate(r, i, real->offset, &line, &column);
        return fail(r, line, column,
                    "'%s' is a real runtime: a claim judged on the models names models (judge = "
                    "real for a claim only a real runtime can judge)",
                    real->model);
    }
    if (c->judge == SC_JUDGE_REAL && c->is_required)
        return fail(r, c->line, 0,
                    "[claim %s]: a real runtime's verdict is reported, never required", c->name);
    if (c->judge != SC_JUDGE_MODEL &&
        ex_substitute(&c->expr, real_twin, NULL, &c->real, &offset) < 0) {
        locate(r, i, offset, &line, &column);
        return fail(r, line, column,
                    "model '%s' has no real twin (bench/peers.c): judge = model, with a reason",
                    find_call(&c->expr, offset)->model);
    }
    if (c->stated_text) {
        if (ex_parse_stated(c->stated_text, &c->stated, &column, why, sizeof(why)) < 0)
            return fail(r, r->stated_at[i].line, r->stated_at[i].column + column - 1, "%s", why);
        c->has_stated = true;
    }
    if (!c->quote || !*c->quote)
        return fail(r, c->quote ? r->quote_at[i].line : c->line,
                    c->quote ? r->quote_at[i].column : 0,
                    "[claim %s] needs quote = the article's sentence, verbatim", c->name);
    return 0;
}

static int check(struct reader *r) {
    struct scenario *sc = r->sc;
    unsigned line = r->scenario_line ? r->scenario_line : 1;
    if (!sc->path)
        return fail(r, line, 0, "[scenario] needs path = /... or mix = /a:W,/b:W"), -1;
    if (sc->nmodels == 0)
        return fail(r, line, 0, "[scenario] needs models = ..."), -1;
    if (sc->full.nlevels == 0)
        return fail(r, line, 0, "[scenario] needs connections = ..."), -1;
    unquote(sc->description);
    for (unsigned i = 0; i < sc->nclaims; i++) {
        unquote(sc->claims[i].quote);
        unquote(sc->claims[i].source);
    }
    struct sc_settings *q = &sc->quick;
    if (q->nlevels == 0)
        memcpy(q->connections, sc->full.connections, sizeof(q->connections)),
            q->nlevels = sc->full.nlevels;
    if (!q->duration_us)
        q->duration_us = sc->full.duration_us;
    if (!q->warmup_us)
        q->warmup_us = sc->full.warmup_us;
    if (!q->repeat)
        q->repeat = sc->full.repeat;
    if (q->rate == 0)
        q->rate = sc->full.rate;
    for (unsigned i = 0; i < sc->nclaims; i++) {
        struct sc_claim *c = &sc->claims[i];
        char why[256];
        unsigned column = 0, eline, ecol;
        if (!c->text)
            return fail(r, c->line, 0, "[claim %s] needs expect = ...", c->name), -1;
        if (ex_parse(c->text, &c->expr, &column, why, sizeof(why)) < 0) {
            locate(r, i, column - 1, &eline, &ecol);
            return fail(r, eline, ecol, "%s", why), -1;
        }
        const struct ex_side *sides[2] = {&c->expr.left, &c->expr.right};
        for (unsigned s = 0; s < 2; s++) {
            for (unsigned t = 0; t < sides[s]->nterms; t++) {
                if (sides[s]->terms[t].is_call &&
                    check_call(r, i, &c->expr, &sides[s]->terms[t].call) < 0)
                    return -1;
            }
        }
        if (r->lines.is_failed)
            return -1;
        check_judging(r, i);
        if (r->lines.is_failed)
            return -1;
    }
    return 0;
}

bool sc_judges_model(const struct sc_claim *claim) {
    return claim->judge != SC_JUDGE_REAL;
}

bool sc_judges_real(const struct sc_claim *claim) {
    return claim->judge != SC_JUDGE_MODEL;
}

int scenario_load(const char *file, struct scenario *sc, char *err, size_t err_len) {
    struct reader *r = calloc(1, sizeof(*r));
    memset(sc, 0, sizeof(*sc));
    sc->full = (struct sc_settings){.duration_us = 10000000, .warmup_us = 1000000, .repeat = 5};
    sc->is_pinned = true;
    if (!r) {
        snprintf(err, err_len, "%s: out of memory", file);
        return -1;
    }
    r->sc = sc;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    sc->name = strndup(base, n > 4 && !strcmp(base + n - 4, ".ini") ? n - 4 : n);
    sc->file = strdup(file);
    bool is_read = ini_lines_parse(&r->lines, file, on_value, r, err, err_len) == 0;
    if (is_read)
        check(r);
    bool is_failed = !is_read || r->lines.is_failed;
    free(r);
    if (is_failed) {
        scenario_free(sc);
        return -1;
    }
    return 0;
}

void scenario_free(struct scenario *sc) {
    free(sc->name);
    free(sc->file);
    free(sc->description);
    free(sc->path);
    free(sc->server_args);
    for (unsigned i = 0; i < sc->nmodels; i++) {
        free(sc->models[i].name);
        free(sc->models[i].args);
    }
    for (unsigned i = 0; i < sc->nclaims; i++) {
        free(sc->claims[i].name);
        free(sc->claims[i].quote);
        free(sc->claims[i].source);
        free(sc->claims[i].text);
        free(sc->claims[i].stated_text);
        free(sc->claims[i].reason);
    }
    memset(sc, 0, sizeof(*sc));
}

bool scenario_has_path(const struct scenario *sc, const char *path) {
    if (!sc->is_mix)
        return false;
    size_t len = strlen(path);
    for (const char *item = sc->path; item && *item; item = strchr(item, ',')) {
        if (*item == ',')
            item++;
        const char *end = strchr(item, ',');
        const char *colon = memrchr(item, ':', end ? (size_t)(end - item) : strlen(item));
        if (colon && (size_t)(colon - item) == len && !strncmp(item, path, len))
            return true;
        if (!end)
            break;
    }
    return false;
}

bool scenario_is_main_path(const struct scenario *sc, const char *path) {
    if (!sc->is_mix)
        return !strcmp(sc->path, path);
    return !scenario_has_path(sc, path) && strchr(path, ':') != NULL;
}

int scenario_find(const char *dir, const char *name, char *out, size_t out_len) {
    if (strchr(name, '/') || (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".ini"))) {
        snprintf(out, out_len, "%s", name);
        return access(out, R_OK);
    }
    snprintf(out, out_len, "%s/%s.ini", dir, name);
    return access(out, R_OK);
}
