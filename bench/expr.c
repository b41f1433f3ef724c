/*
 * expr.c — a claim's `expect`: tokenizer, recursive-descent parser and
 * the interval verdict (see expr.h).
 */
#include "expr.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[] = {
    [EX_RPS] = "rps",
    [EX_P50] = "p50",
    [EX_P90] = "p90",
    [EX_P99] = "p99",
    [EX_P999] = "p999",
    [EX_MEAN] = "mean",
    [EX_MAX] = "max",
    [EX_RSS_KB] = "rss_kb",
    [EX_CPU_S] = "cpu_s",
    [EX_THREADS] = "threads",
    [EX_ERRORS] = "errors",
    [EX_CAPACITY] = "capacity",
    [EX_CPU_PER_1K] = "cpu_per_1k",
    [EX_RSS_PER_1K_CONNS] = "rss_per_1k_conns",
    [EX_START_MS] = "start_ms",
};
static const char *const key_names[] = {
    [EX_CONNECTIONS] = "connections", [EX_PATH] = "path", [EX_RATE] = "rate"};
static const char *const cmp_texts[] = {
    [EX_GE] = ">=", [EX_LE] = "<=", [EX_GT] = ">", [EX_LT] = "<"};

const char *ex_metric_name(enum ex_metric metric) {
    return metric_names[metric];
}

const char *ex_key_name(enum ex_key key) {
    return key_names[key];
}

const char *ex_cmp_text(enum ex_cmp cmp) {
    return cmp_texts[cmp];
}

const char *ex_verdict_name(enum ex_verdict verdict) {
    return verdict == EX_HOLDS ? "holds" : verdict == EX_FAILS ? "fails" : "inconclusive";
}

/* ---- tokenizer ---- */

enum tok_kind {
    T_END,
    T_IDENT,
    T_NUMBER,
    T_WORD, /* a filter's value: anything up to a space, ',' or ')' */
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_EQ,
    T_STAR,
    T_SLASH,
    T_CMP,
};

struct token {
    enum tok_kind kind;
    const char *start;
    size_t len;
    double number;
    enum ex_cmp cmp;
};

struct parser {
    const char *text, *at; /* the whole text; where the tokenizer is */
    struct token tok;      /* the current token */
    unsigned *column;
    char *err;
    size_t err_len;
};

static int fail_at(struct parser *p, const char *where, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->err_len, fmt, ap);
    va_end(ap);
    *p->column = (unsigned)(where - p->text) + 1;
    return -1;
}

static bool is_ident_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Reads the next token; a filter's value when is_value. */
static int next_token(struct parser *p, bool is_value) {
    const char *s = p->at;
    while (isspace((unsigned char)*s))
        s++;
    struct token *t = &p->tok;
    t->start = s;
    t->len = 1;
    if (*s == '\0') {
        t->kind = T_END;
        t->len = 0;
    } else if (is_value) {
        t->kind = T_WORD;
        t->len = 0;
        while (s[t->len] && !isspace((unsigned char)s[t->len]) && s[t->len] != ',' &&
               s[t->len] != ')')
            t->len++;
        if (t->len == 0)
            return fail_at(p, s, "expected a value after '='");
    } else if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
        char *end;
        t->kind = T_NUMBER;
        t->number = strtod(s, &end);
        t->len = (size_t)(end - s);
        if (is_ident_char(*end) && *end != '.')
            return fail_at(p, end, "unexpected '%c' after the number", *end);
    } else if (isalpha((unsigned char)*s) || *s == '_') {
        t->kind = T_IDENT;
        while (is_ident_char(s[t->len]))
            t->len++;
    } else if (*s == '>' || *s == '<') {
        t->kind = T_CMP;
        t->len = s[1] == '=' ? 2 : 1;
        t->cmp = *s == '>' ? (t->len == 2 ? EX_GE : EX_GT) : (t->len == 2 ? EX_LE : EX_LT);
    } else {
        static const char singles[] = "(),=*/";
        static const enum tok_kind kinds[] = {T_LPAREN, T_RPAREN, T_COMMA, T_EQ, T_STAR, T_SLASH};
        const char *hit = strchr(singles, *s);
        if (!hit)
            return fail_at(p, s, "unexpected character '%c'", *s);
        t->kind = kinds[hit - singles];
    }
    p->at = s + t->len;
    return 0;
}

static bool tok_is(const struct token *t, const char *word) {
    return t->kind == T_IDENT && t->len == strlen(word) && strncmp(t->start, word, t->len) == 0;
}

static int expect(struct parser *p, enum tok_kind kind, const char *what) {
    if (p->tok.kind != kind) {
        if (p->tok.kind == T_END)
            return fail_at(p, p->tok.start, "expected %s, found the end", what);
        return fail_at(p, p->tok.start, "expected %s, found '%.*s'", what, (int)p->tok.len,
                       p->tok.start);
    }
    return next_token(p, false);
}

/* ---- parser ---- */

static int lookup(const struct token *t, const char *const *names, unsigned count) {
    for (unsigned i = 0; i < count; i++) {
        if (tok_is(t, names[i]))
            return (int)i;
    }
    return -1;
}

static int parse_filter(struct parser *p, struct ex_filter *filters, unsigned *n) {
    const char *where = p->tok.start;
    int key = lookup(&p->tok, key_names, sizeof(key_names) / sizeof(key_names[0]));
    if (p->tok.kind != T_IDENT || key < 0)
        return fail_at(p, where, "expected connections=, path= or rate=, found '%.*s'",
                       (int)p->tok.len, p->tok.start);
    for (unsigned i = 0; i < *n; i++) {
        if (filters[i].key == (enum ex_key)key)
            return fail_at(p, where, "%s= given twice", key_names[key]);
    }
    if (*n == EX_MAX_FILTERS)
        return fail_at(p, where, "at most %d filters", EX_MAX_FILTERS);
    if (next_token(p, false) < 0)
        return -1;
    if (p->tok.kind != T_EQ)
        return fail_at(p, p->tok.start, "expected '=' after %s", key_names[key]);
    if (next_token(p, true) < 0)
        return -1;
    const struct token *v = &p->tok;
    if (v->kind == T_END)
        return fail_at(p, v->start, "expected a value for %s=", key_names[key]);
    if (v->len >= sizeof(filters[0].value))
        return fail_at(p, v->start, "value too long");
    char *end;
    if (key == EX_CONNECTIONS) {
        unsigned long c = strtoul(v->start, &end, 10);
        if (!isdigit((unsigned char)*v->start) || end != v->start + v->len || c == 0)
            return fail_at(p, v->start, "connections= takes a positive whole number");
    } else if (key == EX_RATE) {
        strtod(v->start, &end);
        if (end != v->start + v->len)
            return fail_at(p, v->start, "rate= takes a number (requests/s)");
    } else if (*v->start != '/') {
        return fail_at(p, v->start, "path= takes a path starting with '/'");
    }
    filters[*n].key = (enum ex_key)key;
    snprintf(filters[*n].value, sizeof(filters[*n].value), "%.*s", (int)v->len, v->start);
    (*n)++;
    return next_token(p, false);
}

static int parse_term(struct parser *p, struct ex_term *term) {
    if (p->tok.kind == T_NUMBER) {
        term->is_call = false;
        term->number = p->tok.number;
        return next_token(p, false);
    }
    if (p->tok.kind != T_IDENT)
        return expect(p, T_IDENT, "a number or a metric such as rps(MODEL)");
    int metric = lookup(&p->tok, metric_names, sizeof(metric_names) / sizeof(metric_names[0]));
    if (metric < 0)
        return fail_at(p, p->tok.start,
                       "unknown metric '%.*s' (rps, p50, p90, p99, p999, mean, max, rss_kb, "
                       "cpu_s, threads, errors, capacity, cpu_per_1k, rss_per_1k_conns, "
                       "start_ms)",
                       (int)p->tok.len, p->tok.start);
    term->is_call = true;
    term->call = (struct ex_call){.offset = (unsigned)(p->tok.start - p->text),
                                  .metric = (enum ex_metric)metric};
    if (next_token(p, false) < 0 || expect(p, T_LPAREN, "'(' after the metric") < 0)
        return -1;
    if (p->tok.kind != T_IDENT)
        return expect(p, T_IDENT, "a model name");
    if (p->tok.len >= sizeof(term->call.model))
        return fail_at(p, p->tok.start, "model name too long");
    snprintf(term->call.model, sizeof(term->call.model), "%.*s", (int)p->tok.len, p->tok.start);
    if (next_token(p, false) < 0)
        return -1;
    while (p->tok.kind == T_COMMA) {
        if (next_token(p, false) < 0 ||
            parse_filter(p, term->call.filters, &term->call.nfilters) < 0)
            return -1;
    }
    return expect(p, T_RPAREN, "',' or ')'");
}

static int parse_side(struct parser *p, struct ex_side *side) {
    side->nterms = 0;
    for (;;) {
        if (side->nterms == EX_MAX_TERMS)
            return fail_at(p, p->tok.start, "at most %d factors a side", EX_MAX_TERMS);
        if (parse_term(p, &side->terms[side->nterms++]) < 0)
            return -1;
        if (p->tok.kind != T_STAR && p->tok.kind != T_SLASH)
            return 0;
        side->ops[side->nterms] = p->tok.kind == T_STAR ? '*' : '/';
        if (next_token(p, false) < 0)
            return -1;
    }
}

static bool side_has_call(const struct ex_side *side) {
    for (unsigned i = 0; i < side->nterms; i++) {
        if (side->terms[i].is_call)
            return true;
    }
    return false;
}

int ex_parse(const char *text, struct expr *out, unsigned *column, char *err, size_t err_len) {
    struct parser p = {.text = text, .at = text, .column = column, .err = err, .err_len = err_len};
    memset(out, 0, sizeof(*out));
    if (next_token(&p, false) < 0 || parse_side(&p, &out->left) < 0)
        return -1;
    if (p.tok.kind != T_CMP) {
        expect(&p, T_CMP, "a comparison (>=, <=, >, <)");
        return -1;
    }
    out->cmp = p.tok.cmp;
    if (next_token(&p, false) < 0 || parse_side(&p, &out->right) < 0)
        return -1;
    if (tok_is(&p.tok, "at")) {
        do {
            if (next_token(&p, false) < 0 || parse_filter(&p, out->at, &out->nat) < 0)
                return -1;
        } while (p.tok.kind == T_COMMA);
    }
    if (p.tok.kind != T_END)
        return fail_at(&p, p.tok.start, "expected 'at' or the end, found '%.*s'", (int)p.tok.len,
                       p.tok.start);
    if (!side_has_call(&out->left) && !side_has_call(&out->right))
        return fail_at(&p, text, "nothing measured: compare at least one metric");
    return 0;
}

/* ---- evaluation ---- */

unsigned ex_call_filters(const struct expr *e, const struct ex_call *call,
                         struct ex_filter out[2 * EX_MAX_FILTERS]) {
    unsigned n = 0;
    for (unsigned i = 0; i < call->nfilters; i++)
        out[n++] = call->filters[i];
    for (unsigned i = 0; i < e->nat; i++) {
        if (!ex_filter_value(call->filters, call->nfilters, e->at[i].key))
            out[n++] = e->at[i];
    }
    return n;
}

const char *ex_filter_value(const struct ex_filter *filters, unsigned n, enum ex_key key) {
    for (unsigned i = 0; i < n; i++) {
        if (filters[i].key == key)
            return filters[i].value;
    }
    return NULL;
}

size_t ex_format_call(const struct ex_call *call, char *out, size_t cap) {
    size_t n = (size_t)snprintf(out, cap, "%s(%s", metric_names[call->metric], call->model);
    for (unsigned i = 0; i < call->nfilters && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, ", %s=%s", key_names[call->filters[i].key],
                              call->filters[i].value);
    if (n < cap)
        n += (size_t)snprintf(out + n, cap - n, ")");
    return n < cap ? n : cap - 1;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ex_median(double *values, unsigned n) {
    qsort(values, n, sizeof(*values), compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Multiplies (or divides, op '/') the running product m[0..2] = median,
 * lo, hi by a factor's; a quotient's range pairs the opposite ends. */
static void combine(double m[3], char op, double median, double lo, double hi) {
    if (op == '/') {
        double l = m[1] / hi, h = m[2] / lo;
        m[0] /= median;
        m[1] = l;
        m[2] = h;
    } else {
        m[0] *= median;
        m[1] *= lo;
        m[2] *= hi;
    }
}

/* Says in why, once, which call was not measured. */
static void say_unmeasured(const struct ex_call *call, const struct ex_filter *filters, unsigned nf,
                           char *why, size_t why_len) {
    char text[256];
    struct ex_call shown = *call;
    memcpy(shown.filters, filters, (nf < EX_MAX_FILTERS ? nf : EX_MAX_FILTERS) * sizeof(*filters));
    shown.nfilters = nf < EX_MAX_FILTERS ? nf : EX_MAX_FILTERS;
    ex_format_call(&shown, text, sizeof(text));
    if (why[0] == '\0')
        snprintf(why, why_len, "not measured: %s", text);
}

/* A side's median and range: the product of its factors' (all ≥ 0), and
 * the same over its calls alone (for the stated ratio). */
static void eval_side(const struct expr *e, const struct ex_side *side, ex_samples_fn samples,
                      void *ctx, struct ex_value *v, char *why, size_t why_len) {
    double values[EX_MAX_SAMPLES], all[3] = {1, 1, 1}, calls[3] = {1, 1, 1};
    struct ex_filter filters[2 * EX_MAX_FILTERS];
    *v = (struct ex_value){.is_known = true};
    for (unsigned i = 0; i < side->nterms; i++) {
        const struct ex_term *t = &side->terms[i];
        double median = t->number, lo = t->number, hi = t->number;
        char op = i > 0 ? side->ops[i] : '*';
        if (t->is_call) {
            unsigned nf = ex_call_filters(e, &t->call, filters);
            unsigned n = samples(ctx, &t->call, filters, nf, values, EX_MAX_SAMPLES);
            if (n == 0) {
                say_unmeasured(&t->call, filters, nf, why, why_len);
                v->is_known = false;
                continue;
            }
            median = ex_median(values, n);
            lo = values[0];
            hi = values[n - 1];
        }
        v->terms[i] = median;
        if (op == '/' && lo <= 0) {
            if (why[0] == '\0')
                snprintf(why, why_len, "division by zero");
            v->is_known = false;
            continue;
        }
        combine(all, op, median, lo, hi);
        if (t->is_call)
            combine(calls, op, median, lo, hi);
    }
    v->median = all[0], v->lo = all[1], v->hi = all[2];
    v->calls_median = calls[0], v->calls_lo = calls[1], v->calls_hi = calls[2];
}

static bool holds(enum ex_cmp cmp, double left, double right) {
    switch (cmp) {
    case EX_GE:
        return left >= right;
    case EX_LE:
        return left <= right;
    case EX_GT:
        return left > right;
    case EX_LT:
        return left < right;
    }
    return false;
}

void ex_eval(const struct expr *e, ex_samples_fn samples, void *ctx, struct ex_result *out) {
    memset(out, 0, sizeof(*out));
    eval_side(e, &e->left, samples, ctx, &out->left, out->why, sizeof(out->why));
    eval_side(e, &e->right, samples, ctx, &out->right, out->why, sizeof(out->why));
    if (!out->left.is_known || !out->right.is_known) {
        out->verdict = EX_INCONCLUSIVE;
        return;
    }
    bool is_greater = e->cmp == EX_GE || e->cmp == EX_GT;
    /* The worst and the best pairing of the two ranges. */
    double worst_l = is_greater ? out->left.lo : out->left.hi;
    double worst_r = is_greater ? out->right.hi : out->right.lo;
    double best_l = is_greater ? out->left.hi : out->left.lo;
    double best_r = is_greater ? out->right.lo : out->right.hi;
    if (holds(e->cmp, worst_l, worst_r)) {
        out->verdict = EX_HOLDS;
    } else if (!holds(e->cmp, best_l, best_r)) {
        out->verdict = EX_FAILS;
    } else {
        out->verdict = EX_INCONCLUSIVE;
        snprintf(out->why, sizeof(out->why), "the repeats straddle the threshold (medians: it %s)",
                 holds(e->cmp, out->left.median, out->right.median) ? "holds" : "fails");
    }
}

/* ---- twins and stated ratios ---- */

static int substitute_side(struct ex_side *side, ex_twin_fn twin, void *ctx, unsigned *offset) {
    for (unsigned i = 0; i < side->nterms; i++) {
        struct ex_call *call = &side->terms[i].call;
        if (!side->terms[i].is_call)
            continue;
        const char *name = twin(ctx, call->model);
        if (!name || strlen(name) >= sizeof(call->model)) {
            *offset = call->offset;
            return -1;
        }
        snprintf(call->model, sizeof(call->model), "%s", name);
    }
    return 0;
}

int ex_substitute(const struct expr *e, ex_twin_fn twin, void *ctx, struct expr *out,
                  unsigned *offset) {
    *out = *e;
    if (substitute_side(&out->left, twin, ctx, offset) < 0 ||
        substitute_side(&out->right, twin, ctx, offset) < 0)
        return -1;
    return 0;
}

/* A positive number at *s; advances *s past it. */
static int stated_number(const char **s, double *out) {
    char *end;
    if (!isdigit((unsigned char)**s) && **s != '.')
        return -1;
    *out = strtod(*s, &end);
    if (end == *s || !(*out > 0))
        return -1;
    *s = end;
    return 0;
}

int ex_parse_stated(const char *text, struct ex_stated *out, unsigned *column, char *err,
                    size_t err_len) {
    const char *s = text + strspn(text, " \t");
    const char *start = s;
    if (stated_number(&s, &out->lo) < 0)
        goto bad;
    out->hi = out->lo;
    if (!strncmp(s, "..", 2)) {
        s += 2;
        start = s;
        if (stated_number(&s, &out->hi) < 0)
            goto bad;
        if (out->hi < out->lo) {
            snprintf(err, err_len, "stated: %g..%g: the range runs upwards (A..B, A <= B)", out->lo,
                     out->hi);
            *column = (unsigned)(start - text) + 1;
            return -1;
        }
    }
    start = s + strspn(s, " \t");
    if (*start == '\0')
        return 0;
bad:
    snprintf(err, err_len,
             "stated: expected the ratio the article states, A..B or A (e.g. 1.2..1.3), "
             "found '%s'",
             start);
    *column = (unsigned)(start - text) + 1;
    return -1;
}

int ex_ratio(const struct ex_result *r, double *median, double *lo, double *hi) {
    if (!r->left.is_known || !r->right.is_known || !(r->right.calls_median > 0) ||
        !(r->right.calls_lo > 0))
        return -1;
    *median = r->left.median / r->right.calls_median;
    *lo = r->left.lo / r->right.calls_hi;
    *hi = r->left.hi / r->right.calls_lo;
    return 0;
}

enum ex_place ex_place_of(const struct ex_stated *stated, double ratio) {
    return ratio < stated->lo ? EX_BELOW : ratio > stated->hi ? EX_ABOVE : EX_WITHIN;
}

const char *ex_place_text(enum ex_place place) {
    return place == EX_WITHIN  ? "within"
           : place == EX_ABOVE ? "above (the article understates)"
                               : "below (the article overstates)";
}
