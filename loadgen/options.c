/*
 * options.c — bin/loadgen's command line: wrk's flags (-c -t -d -H
 * --timeout --latency), wrk2's -R, and showdown's own (--warmup, --mix,
 * --seed, --close, --source, --csv, --hgrm, --json). Every error names the
 * flag at fault.
 */
#include "../common/options.h"
#include "../common/version.h"
#include "loadgen.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* After "Usage: NAME [options] URL". */
static const char usage_text[] =
    "  -c, --connections N    connections to keep open (default 10)\n"
    "  -t, --threads N        threads, each with its own event loop (default 2)\n"
    "  -d, --duration DUR     measured duration, e.g. 10s, 2m (default 10s)\n"
    "  -R, --rate N           open loop: N requests/s over the whole run, latency\n"
    "                         measured from when each request was due (wrk2)\n"
    "  -H, --header 'N: V'    add a request header (repeatable)\n"
    "      --timeout DUR      a request without an answer after DUR is an error (default 2s)\n"
    "      --latency          print the latency percentile spectrum\n"
    "      --warmup DUR       send, but do not record, for DUR first\n"
    "      --mix P:W,P:W      paths on the URL's host, drawn by weight; stats per path\n"
    "      --seed N           seed for --mix (default 1)\n"
    "      --streams          with --mix, each connection sends one path: W connections\n"
    "                         per P:W, in order (a cheap stream beside a CPU-bound one)\n"
    "      --close            a new connection per request (Connection: close)\n"
    "      --source A[-B]     connect from these 127.x source addresses, round-robin\n"
    "      --csv FILE         append a result row to FILE (header when new; +1 per --mix path)\n"
    "      --hgrm FILE        write the latency distribution (HdrHistogram text, ms), and\n"
    "                         FILE's stem.uncorrected.hgrm: from each send, not each due time\n"
    "      --json             print the results as JSON instead of the summary\n"
    "  -h, --help             this text\n"
    "      --version          print the version and exit\n"
    "Exit status: 0 the run completed, 1 no request could be made, 2 bad arguments.\n";

static int fail(char *err, size_t err_len, const char *flag, const char *reason) {
    snprintf(err, err_len, "%s: %s", flag, reason);
    return -1;
}

/* http://host[:port][/path]; IPv6 hosts in brackets. */
static int parse_url(struct lg_config *config, const char *url, char *err, size_t err_len) {
    const char *p = url, *host_end, *path;
    size_t host_len;

    if (strncasecmp(p, "http://", 7) != 0) {
        if (strstr(p, "://"))
            return fail(err, err_len, url, "only http:// URLs are supported");
        return fail(err, err_len, url, "expected a URL like http://127.0.0.1:8080/hello");
    }
    p += 7;
    path = strchr(p, '/');
    if (!path)
        path = p + strlen(p);
    if (*p == '[') {
        host_end = memchr(p, ']', (size_t)(path - p));
        if (!host_end)
            return fail(err, err_len, url, "unterminated [IPv6] host");
        host_len = (size_t)(host_end - p - 1);
        memcpy(config->host, p + 1, host_len < sizeof(config->host) ? host_len : 0);
        p = host_end + 1;
    } else {
        host_end = memchr(p, ':', (size_t)(path - p));
        if (!host_end)
            host_end = path;
        host_len = (size_t)(host_end - p);
        if (host_len >= sizeof(config->host))
            return fail(err, err_len, url, "host name too long");
        memcpy(config->host, p, host_len);
        p = host_end;
    }
    if (host_len == 0 || host_len >= sizeof(config->host))
        return fail(err, err_len, url, "no host");
    config->host[host_len] = '\0';
    if (*p == ':') {
        uint64_t port;
        char port_str[8] = "";
        size_t port_len = (size_t)(path - p - 1);
        char reason[OPT_ERR_MAX];
        if (port_len == 0 || port_len >= sizeof(port_str))
            return fail(err, err_len, url, "bad port");
        memcpy(port_str, p + 1, port_len);
        if (opt_parse_uint(port_str, 1, 65535, &port, reason, sizeof(reason)) < 0)
            return fail(err, err_len, url, "bad port");
        snprintf(config->port, sizeof(config->port), "%u", (unsigned)port);
    } else if (p != path) {
        return fail(err, err_len, url, "unexpected text after the host");
    } else {
        strcpy(config->port, "80");
    }
    const char *target = *path ? path : "/";
    if (strlen(target) >= LG_MAX_TARGET)
        return fail(err, err_len, url, "path too long");
    strcpy(config->paths[0].target, target);
    config->paths[0].weight = 1;
    config->path_count = 1;
    config->total_weight = 1;

    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(config->host, config->port, &hints, &res);
    if (rc != 0)
        return fail(err, err_len, url, gai_strerror(rc));
    memcpy(&config->address, res->ai_addr, res->ai_addrlen);
    config->address_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* "/a:3,/b?x=1:1" — each item's weight follows its last ':'. */
static int parse_mix(struct lg_config *config, const char *spec, char *err, size_t err_len) {
    char *copy = strdup(spec), *save = NULL;
    unsigned count = 0, total = 0;

    if (!copy)
        return fail(err, err_len, "--mix", "out of memory");
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':');
        uint64_t weight;
        char reason[OPT_ERR_MAX];
        if (count == LG_MAX_PATHS) {
            free(copy);
            return fail(err, err_len, "--mix", "at most 16 paths");
        }
        if (!colon || item[0] != '/') {
            snprintf(err, err_len, "--mix: '%s': expected PATH:WEIGHT with PATH starting '/'",
                     item);
            free(copy);
            return -1;
        }
        *colon = '\0';
        if (opt_parse_uint(colon + 1, 1, 1000000, &weight, reason, sizeof(reason)) < 0) {
            snprintf(err, err_len, "--mix: weight of %s: %s", item, reason);
            free(copy);
            return -1;
        }
        if (strlen(item) >= LG_MAX_TARGET) {
            free(copy);
            return fail(err, err_len, "--mix", "path too long");
        }
        strcpy(config->paths[count].target, item);
        config->paths[count].weight = (unsigned)weight;
        total += (unsigned)weight;
        count++;
    }
    free(copy);
    if (count == 0)
        return fail(err, err_len, "--mix", "no paths");
    config->path_count = count;
    config->total_weight = total;
    config->is_mix = true;
    return 0;
}

/* "127.0.0.1" or "127.0.0.1-127.0.0.16". */
static int parse_source(struct lg_config *config, const char *spec, char *err, size_t err_len) {
    char first[64], last[64];
    const char *dash = strchr(spec, '-');
    struct in_addr a, b;

    snprintf(first, sizeof(first), "%.*s", dash ? (int)(dash - spec) : (int)strlen(spec), spec);
    snprintf(last, sizeof(last), "%s", dash ? dash + 1 : spec);
    if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, last, &b) != 1)
        return fail(err, err_len, "--source", "expected IPv4 addresses like 127.0.0.1-127.0.0.16");
    if (ntohl(b.s_addr) < ntohl(a.s_addr) || ntohl(b.s_addr) - ntohl(a.s_addr) >= 65536)
        return fail(err, err_len, "--source", "the range is backwards or too large");
    config->source_first = a;
    config->source_count = ntohl(b.s_addr) - ntohl(a.s_addr) + 1;
    return 0;
}

static int add_header(struct lg_config *config, const char *header, char *err, size_t err_len) {
    const char *colon = strchr(header, ':');
    size_t used = strlen(config->headers), len = strlen(header);

    if (!colon || colon == header || strpbrk(header, "\r\n"))
        return fail(err, err_len, "-H", "expected 'Name: value'");
    if (used + len + 3 > sizeof(config->headers))
        return fail(err, err_len, "-H", "headers too long (4 KiB in all)");
    if ((size_t)(colon - header) == 4 && strncasecmp(header, "Host", 4) == 0)
        config->has_host_header = true;
    memcpy(config->headers + used, header, len);
    memcpy(config->headers + used + len, "\r\n", 3);
    return 0;
}

static int parse_duration(const char *flag, const char *s, uint64_t min_ns, uint64_t *out_ns,
                          char *err, size_t err_len) {
    char reason[OPT_ERR_MAX];
    uint64_t us;
    if (opt_parse_duration_us(s, &us, reason, sizeof(reason)) < 0)
        return fail(err, err_len, flag, reason);
    if (us * 1000 < min_ns) {
        snprintf(err, err_len, "%s: must be at least %llu ms", flag,
                 (unsigned long long)(min_ns / 1000000));
        return -1;
    }
    *out_ns = us * 1000;
    return 0;
}

enum {
    OPT_TIMEOUT = 256,
    OPT_LATENCY,
    OPT_WARMUP,
    OPT_MIX,
    OPT_SEED,
    OPT_CLOSE,
    OPT_STREAMS,
    OPT_SOURCE,
    OPT_CSV,
    OPT_HGRM,
    OPT_JSON,
    OPT_VERSION
};

static const struct option long_options[] = {
    {"connections", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"duration", required_argument, NULL, 'd'},
    {"rate", required_argument, NULL, 'R'},
    {"header", required_argument, NULL, 'H'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"latency", no_argument, NULL, OPT_LATENCY},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"mix", required_argument, NULL, OPT_MIX},
    {"seed", required_argument, NULL, OPT_SEED},
    {"close", no_argument, NULL, OPT_CLOSE},
    {"streams", no_argument, NULL, OPT_STREAMS},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"csv", required_argument, NULL, OPT_CSV},
    {"hgrm", required_argument, NULL, OPT_HGRM},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* value as a whole number from min to max. */
static int whole(const char *flag, const char *value, uint64_t min, uint64_t max, uint64_t *out,
                 char *err, size_t err_len) {
    char reason[OPT_ERR_MAX];
    if (opt_parse_uint(value, min, max, out, reason, sizeof(reason)) < 0)
        return fail(err, err_len, flag, reason);
    return 0;
}

/* whole() from 1 to max, for an unsigned field. */
static int whole_unsigned(const char *flag, const char *value, unsigned max, unsigned *out,
                          char *err, size_t err_len) {
    uint64_t n;
    if (whole(flag, value, 1, max, &n, err, err_len) < 0)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* How much load, and for how long: -c -t -d -R --timeout --warmup. */
static int take_load(int opt, const char *value, struct lg_config *config, char *err,
                     size_t err_len) {
    switch (opt) {
    case 'c':
        return whole_unsigned("-c", value, 1000000, &config->connections, err, err_len);
    case 't':
        return whole_unsigned("-t", value, 1024, &config->threads, err, err_len);
    case 'd':
        return parse_duration("-d", value, 1000000, &config->duration_ns, err, err_len);
    case 'R': {
        char *end;
        double rate = strtod(value, &end);
        if (end == value || *end || !(rate > 0) || rate > 1e9)
            return fail(err, err_len, "-R", "expected requests/s, a number above 0");
        config->rate = rate;
        return 0;
    }
    case OPT_TIMEOUT:
        return parse_duration("--timeout", value, 1000000, &config->timeout_ns, err, err_len);
    case OPT_WARMUP:
        return parse_duration("--warmup", value, 0, &config->warmup_ns, err, err_len);
    }
    return 1;
}

/* What is sent, and from where: -H --mix --seed --close --streams --source. --mix is
 * only noted here: it is parsed once the URL has given the host. */
static int take_request(int opt, const char *value, struct lg_config *config, const char **mix,
                        char *err, size_t err_len) {
    switch (opt) {
    case 'H':
        return add_header(config, value, err, err_len);
    case OPT_MIX:
        *mix = value;
        return 0;
    case OPT_SEED:
        return whole("--seed", value, 0, UINT64_MAX, &config->seed, err, err_len);
    case OPT_CLOSE:
        config->close = true;
        return 0;
    case OPT_STREAMS:
        config->is_streams = true;
        return 0;
    case OPT_SOURCE:
        return parse_source(config, value, err, err_len);
    }
    return 1;
}

/* What is reported, and where: --latency --csv --hgrm --json. */
static int take_output(int opt, const char *value, struct lg_config *config) {
    switch (opt) {
    case OPT_LATENCY:
        config->latency = true;
        return 0;
    case OPT_CSV:
        config->csv_path = value;
        return 0;
    case OPT_HGRM:
        config->hgrm_path = value;
        return 0;
    case OPT_JSON:
        config->json = true;
        return 0;
    }
    return 1;
}

int lg_parse_args(int argc, char **argv, struct lg_config *config, char *err, size_t err_len) {
    const char *mix = NULL;
    int opt;

    memset(config, 0, sizeof(*config));
    config->connections = 10;
    config->threads = 2;
    config->duration_ns = 10000000000ull;
    config->timeout_ns = 2000000000ull; /* wrk's default --timeout */
    config->seed = 1;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:t:d:R:H:h", long_options, NULL)) != -1) {
        if (opt == 'h') {
            printf("Usage: %s [options] URL\n%s", program_name(argv[0]), usage_text);
            return 1;
        }
        if (opt == OPT_VERSION) {
            printf("showdown-loadgen %s\n", SHOWDOWN_VERSION);
            return 1;
        }
        if (opt == ':') {
            snprintf(err, err_len, "%s: missing value", argv[optind - 1]);
            return -1;
        }
        int rc = take_load(opt, optarg, config, err, err_len);
        if (rc > 0)
            rc = take_request(opt, optarg, config, &mix, err, err_len);
        if (rc > 0)
            rc = take_output(opt, optarg, config);
        if (rc > 0) { /* getopt_long's '?' */
            snprintf(err, err_len, "%s: unknown option (see --help)", argv[optind - 1]);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (optind >= argc)
        return fail(err, err_len, "URL", "missing (e.g. http://127.0.0.1:8080/hello)");
    if (optind + 1 < argc)
        return fail(err, err_len, argv[optind + 1], "unexpected argument after the URL");
    config->url = argv[optind];
    if (parse_url(config, config->url, err, err_len) < 0)
        return -1;
    if (mix && parse_mix(config, mix, err, err_len) < 0)
        return -1;
    if (config->is_streams && !config->is_mix)
        return fail(err, err_len, "--streams", "needs --mix");
    /* Never a thread without a connection. */
    if (config->threads > config->connections)
        config->threads = config->connections;
    return 0;
}

int lg_format_requests(struct lg_config *config) {
    for (unsigned i = 0; i < config->path_count; i++) {
        struct lg_path *path = &config->paths[i];
        char host[300] = "";
        if (!config->has_host_header) {
            bool is_v6 = strchr(config->host, ':') != NULL;
            bool default_port = strcmp(config->port, "80") == 0;
            snprintf(host, sizeof(host), "Host: %s%s%s%s%s\r\n", is_v6 ? "[" : "", config->host,
                     is_v6 ? "]" : "", default_port ? "" : ":", default_port ? "" : config->port);
        }
        size_t cap = strlen(path->target) + strlen(host) + strlen(config->headers) + 64;
        path->request = malloc(cap);
        if (!path->request)
            return -1;
        int len = snprintf(path->request, cap, "GET %s HTTP/1.1\r\n%s%s%s\r\n", path->target, host,
                           config->headers, config->close ? "Connection: close\r\n" : "");
        path->request_len = (size_t)len;
    }
    return 0;
}

void lg_config_free(struct lg_config *config) {
    for (unsigned i = 0; i < config->path_count; i++) {
        free(config->paths[i].request);
        config->paths[i].request = NULL;
    }
}

void lg_usage(FILE *out) {
    fprintf(out, "Usage: loadgen [options] URL\n%s", usage_text);
}
