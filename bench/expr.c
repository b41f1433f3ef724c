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
    [EX_RPS] = "rps",         [EX_P50] = "p50",       [EX_P90] = "p90",
    [EX_P99] = "p99",         [EX_P999] = "p999",     [EX_MEAN] = "mean",
    [EX_MAX] = "max",         [EX_RSS_KB] = "rss_kb", [EX_CPU_S] = "cpu_s",
    [EX_THREADS] = "threads", [EX_ERRORS] = "errors", [EX_CAPACITY] = "capacity",
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
                       "cpu_s, threads, errors, capacity)",
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

/* A side's median and range: the product of its factors' (all ≥ 0). */
static void eval_side(const struct expr *e, const struct ex_side *side, ex_samples_fn samples,
                      void *ctx, struct ex_value *v, char *why, size_t why_len) {
    double values[EX_MAX_SAMPLES];
    struct ex_filter filters[2 * EX_MAX_FILTERS];
    *v = (struct ex_value){.is_known = true, .median = 1, .lo = 1, .hi = 1};
    for (unsigned i = 0; i < side->nterms; i++) {
        const struct ex_term *t = &side->terms[i];
        double median = t->number, lo = t->number, hi = t->number;
        if (t->is_call) {
            unsigned nf = ex_call_filters(e, &t->call, filters);
            unsigned n = samples(ctx, &t->call, filters, nf, values, EX_MAX_SAMPLES);
            if (n == 0) {
                char text[256];
                struct ex_call shown = t->call;
                memcpy(shown.filters, filters,
                       (nf < EX_MAX_FILTERS ? nf : EX_MAX_FILTERS) * sizeof(*filters));
                shown.nfilters = nf < EX_MAX_FILTERS ? nf : EX_MAX_FILTERS;
                ex_format_call(&shown, text, sizeof(text));
                if (why[0] == '\0')
                    snprintf(why, why_len, "not measured: %s", text);
                v->is_known = false;
                continue;
            }
            median = ex_median(values, n);
            lo = values[0];
            hi = values[n - 1];
        }
        v->terms[i] = median;
        if (i > 0 && side->ops[i] == '/') {
            if (lo <= 0) {
                if (why[0] == '\0')
                    snprintf(why, why_len, "division by zero");
                v->is_known = false;
                continue;
            }
            v->median /= median;
            double l = v->lo / hi, h = v->hi / lo;
            v->lo = l;
            v->hi = h;
        } else {
            v->median *= median;
            v->lo *= lo;
            v->hi *= hi;
        }
    }
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
