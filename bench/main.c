/*
 * main.c — bin/bench: run scenarios, judge claims, compare runs, report.
 */
#include "../common/options.h"
#include "../common/version.h"
#include "bench.h"
#include "paths.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* name is the program's (bench, or showdown-bench installed). */
static void usage(FILE *out, const char *name) {
    fprintf(out,
            "Usage: %1$s run [--quick] [--peers] [--models LIST] [--calibration FILE.ini]\n"
            "                [--out FILE.csv] [--hosts FILE] SCENARIO...\n"
            "  or:  %1$s capacity [--slo GOAL] [--from RATE] [--to RATE] [--connections N]\n"
            "                  [--quick] [--models LIST] [--out FILE.csv] SCENARIO...\n"
            "  or:  %1$s calibrate [--quick] [--models LIST] [--out FILE.ini]\n"
            "  or:  %1$s claims [--markdown] FILE.csv\n"
            "  or:  %1$s compare [--threshold PCT] [--noise PCT] A.csv B.csv\n"
            "  or:  %1$s compare [--threshold PCT] [--noise PCT] A1.csv A2.csv... -- B1.csv...\n"
            "  or:  %1$s report FILE.csv\n"
            "  or:  %1$s fidelity [--markdown] FILE.csv\n"
            "  or:  %1$s merge [--csv FILE] FILE.hlog...\n"
            "  or:  %1$s sample PID\n"
            "  or:  %1$s --version\n"
            "\n"
            "  run       for each scenario x model x connection level x repeat: start\n"
            "            bin/server, drive it with bin/loadgen, append rows to\n"
            "            results/<UTC stamp>-<host>.csv (.partial until complete)\n"
            "  calibrate each real runtime's server CPU per GET /hello closed loop at\n"
            "            16 connections (scenario calibrate, --peers), less its C twin's:\n"
            "            FILE.ini (default results/<UTC stamp>-<host>-calibration.ini),\n"
            "            each model's bin/server --runtime-cost on this host\n"
            "  claims    judge the claims of the scenarios in FILE.csv twice, on the C\n"
            "            models and on their real twins (the --peers rows): holds, fails,\n"
            "            inconclusive or not measured, the stated ratio within, above or\n"
            "            below, and what the pair means; exit 1 when a required claim\n"
            "            fails on the models\n"
            "  compare   medians of A and B per scenario, model, path and connections, and\n"
            "            B/A with its 95%% bootstrap interval; a change is marked where the\n"
            "            Mann-Whitney U test calls it (alpha 0.05), which needs 4 repeats a\n"
            "            side: with fewer, \"too few repeats\" and nothing is called; with\n"
            "            --threshold 10%%, exit 1 on a marked regression beyond it. With\n"
            "            several runs a side (A's CSVs -- B's) a run is one sample, its\n"
            "            median: runs taken in turn see what a machine's drift does. A\n"
            "            change under --noise (default 10%%: whole runs shift by that much\n"
            "            on a shared machine) is not called, whatever p says\n"
            "  report    write FILE.html: gnuplot charts per scenario (error bars: the\n"
            "            repeats' range; latency by percentile per level), the environment\n"
            "            from run.json, and the claims with a chart each (models and real\n"
            "            runtimes side by side)\n"
            "  fidelity  each C model beside its real runtime (--peers rows): the shape\n"
            "            ratios side by side, faithful within 25%% or not\n"
            "  merge     the exact merge of HdrHistogram logs (bin/loadgen --hlog, one\n"
            "            per slice): counts added, percentiles read off the sum, per\n"
            "            tag, overall and per interval; --csv FILE appends the rows\n"
            "  sample    print PID's process tree's CPU, RSS and threads every 50 ms\n"
            "            (what run --hosts runs on the server's host)\n"
            "\n"
            "  SCENARIO         a name in the scenario folder (io-bound) or a .ini file\n"
            "  --models LIST    only these models (space- or comma-separated)\n"
            "  --peers          also run the real runtime beside each C model that has\n"
            "                   one (real-node, real-gunicorn-sync, ...; peers/), and\n"
            "                   every real runtime a claim names (real-fastapi); without\n"
            "                   it a real runtime listed in a scenario is not run\n"
            "  --slo GOAL       capacity's latency goal, e.g. 'p99<=50ms' (p50, p90,\n"
            "                   p99, p999, mean or max; <= or <); default: the\n"
            "                   scenario's slo key\n"
            "  --from RATE      capacity's first rate, requests/s (default 10)\n"
            "  --to RATE        capacity's highest rate (default 1000000)\n"
            "  --connections N  capacity's connections (default: the scenario's highest\n"
            "                   level)\n"
            "  --hosts FILE     run across hosts: the server on the file's [server], one\n"
            "                   bin/loadgen slice on each [client NAME] (README,\n"
            "                   \"Several machines\")\n"
            "  --calibration FILE.ini  give each C model the runtime cost per request\n"
            "                   that FILE (bin/bench calibrate) has for it (--runtime-cost);\n"
            "                   the rows say it in runtime_cost_us\n"
            "  --out FILE.csv   the results (default: results/<UTC stamp>-<host>.csv\n"
            "                   in the current directory)\n"
            "  --scenarios DIR  where scenarios are (default: $SHOWDOWN_SCENARIOS, else\n"
            "                   ./scenarios, else beside this program: ../scenarios,\n"
            "                   or ../share/showdown/scenarios when installed)\n"
            "  --server FILE    bin/server (default: $SHOWDOWN_SERVER, else server or\n"
            "                   showdown-server beside this program)\n"
            "  --loadgen FILE   bin/loadgen (default: $SHOWDOWN_LOADGEN, else loadgen or\n"
            "                   showdown-loadgen beside this program)\n"
            "\n"
            "The peers are in $SHOWDOWN_PEERS, else ./peers, else beside this program as\n"
            "the scenarios are. $SHOWDOWN_SYS_ROOT, when set, prefixes the /sys and /proc\n"
            "files run.json's environment is read from (a test's fake tree).\n",
            name);
}

static int bad(const char *what) {
    fprintf(stderr, "bench: %s (see bench --help)\n", what);
    return 2;
}

/* What the commands read and run; flags override the defaults. */
struct bench_paths {
    char server[4096], loadgen[4096], scenario_dir[4096], peers_dir[4096];
};

/* The one place bin/bench decides where things are when no flag says
 * (paths.h has the order). */
static void default_paths(struct bench_paths *p) {
    paths_sibling("server", p->server, sizeof(p->server));
    paths_sibling("loadgen", p->loadgen, sizeof(p->loadgen));
    paths_data_dir("scenarios", p->scenario_dir, sizeof(p->scenario_dir));
    paths_data_dir("peers", p->peers_dir, sizeof(p->peers_dir));
}

/* What the flags after the command say. */
struct bench_args {
    struct run_options run;
    struct slo slo;
    struct bench_paths paths;
    bool is_markdown;
    double threshold;
    double noise;    /* compare: the least change it calls */
    const char *csv; /* merge --csv */
};

/* "10%" or "0.1" into *share (0.1); 0 allowed when may_be_zero. Returns 0,
 * or -1 when text is no such figure. */
static int take_percentage(const char *text, bool may_be_zero, double *share) {
    char *end;
    double v = strtod(text, &end);
    if (*end == '%')
        v /= 100, end++;
    if (end == text || *end || !(v >= 0 && v < 10) || (v == 0 && !may_be_zero))
        return -1;
    *share = v;
    return 0;
}

/* capacity's flags, by index: --slo, --from, --to, --connections.
 * Returns 0, or -1 with the flag and its fault on stderr. */
static int take_capacity(struct bench_args *a, int which, const char *value) {
    static const char *const flags[] = {"--slo", "--from", "--to", "--connections"};
    char why[256];
    unsigned column = 0;
    uint64_t n;
    if (which == 0 && slo_parse(value, &a->slo, &column, why, sizeof(why)) == 0) {
        a->run.slo = &a->slo;
        return 0;
    }
    if (which == 0) {
        fprintf(stderr, "bench: --slo '%s': column %u: %s\n", value, column, why);
        return -1;
    }
    if (which == 3) {
        if (opt_parse_uint(value, 1, 1000000, &n, why, sizeof(why)) < 0) {
            fprintf(stderr, "bench: --connections '%s': %s\n", value, why);
            return -1;
        }
        a->run.connections = (unsigned)n;
        return 0;
    }
    char *end;
    double rate = strtod(value, &end);
    if (end == value || *end || !(rate >= 1 && rate <= 1e8)) {
        fprintf(stderr, "bench: %s '%s': expected requests per second, 1 to 1e8\n", flags[which],
                value);
        return -1;
    }
    *(which == 1 ? &a->run.from_rate : &a->run.to_rate) = rate;
    return 0;
}

/* bin/bench's flags, for every command (each reads the ones it needs). */
enum {
    OPT_QUICK = 256,
    OPT_PEERS,
    OPT_MODELS,
    OPT_OUT,
    OPT_SERVER,
    OPT_LOADGEN,
    OPT_SCENARIOS,
    OPT_MARKDOWN,
    OPT_THRESHOLD,
    OPT_NOISE,
    OPT_SLO,
    OPT_FROM,
    OPT_TO,
    OPT_CONNECTIONS,
    OPT_HOSTS,
    OPT_CSV,
    OPT_CALIBRATION,
    OPT_HELP
};
static const struct option long_options[] = {
    {"quick", no_argument, NULL, OPT_QUICK},
    {"peers", no_argument, NULL, OPT_PEERS},
    {"models", required_argument, NULL, OPT_MODELS},
    {"out", required_argument, NULL, OPT_OUT},
    {"server", required_argument, NULL, OPT_SERVER},
    {"loadgen", required_argument, NULL, OPT_LOADGEN},
    {"scenarios", required_argument, NULL, OPT_SCENARIOS},
    {"markdown", no_argument, NULL, OPT_MARKDOWN},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"noise", required_argument, NULL, OPT_NOISE},
    {"slo", required_argument, NULL, OPT_SLO},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"hosts", required_argument, NULL, OPT_HOSTS},
    {"csv", required_argument, NULL, OPT_CSV},
    {"calibration", required_argument, NULL, OPT_CALIBRATION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Reads the flags after argv[1] into a (whose paths hold the defaults).
 * Returns -1 when they are fine, else the exit status (0 after --help). */
static int parse_flags(int argc, char **argv, struct bench_args *a) {
    struct bench_paths *p = &a->paths;
    optind = 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_QUICK:
            a->run.is_quick = true;
            break;
        case OPT_PEERS:
            a->run.with_peers = true;
            break;
        case OPT_MODELS:
            a->run.models = optarg;
            break;
        case OPT_OUT:
            a->run.out = optarg;
            break;
        case OPT_SERVER:
            snprintf(p->server, sizeof(p->server), "%s", optarg);
            break;
        case OPT_LOADGEN:
            snprintf(p->loadgen, sizeof(p->loadgen), "%s", optarg);
            break;
        case OPT_SCENARIOS:
            snprintf(p->scenario_dir, sizeof(p->scenario_dir), "%s", optarg);
            break;
        case OPT_HOSTS:
            a->run.hosts = optarg;
            break;
        case OPT_CSV:
            a->csv = optarg;
            break;
        case OPT_CALIBRATION:
            a->run.calibration = optarg;
            break;
        case OPT_MARKDOWN:
            a->is_markdown = true;
            break;
        case OPT_THRESHOLD:
            if (take_percentage(optarg, false, &a->threshold) < 0)
                return bad("--threshold: expected a percentage, e.g. 10%");
            break;
        case OPT_NOISE:
            if (take_percentage(optarg, true, &a->noise) < 0)
                return bad("--noise: expected a percentage, e.g. 10% (0: call every change)");
            break;
        case OPT_SLO:
        case OPT_FROM:
        case OPT_TO:
        case OPT_CONNECTIONS:
            if (take_capacity(a, opt - OPT_SLO, optarg) < 0)
                return 2;
            break;
        case OPT_HELP:
            usage(stdout, program_name(argv[0]));
            return 0;
        default:
            return bad("unknown option");
        }
    }
    a->run.server = p->server;
    a->run.loadgen = p->loadgen;
    a->run.scenario_dir = p->scenario_dir;
    a->run.peers_dir = p->peers_dir;
    return -1;
}

int main(int argc, char **argv) {
    static struct bench_args a = {.noise = COMPARE_NOISE};

    if (argc < 2)
        return usage(stderr, program_name(argv[0])), 2;
    const char *command = argv[1];
    if (!strcmp(command, "--help") || !strcmp(command, "-h") || !strcmp(command, "help")) {
        usage(stdout, program_name(argv[0]));
        return 0;
    }
    if (!strcmp(command, "--version")) {
        printf("showdown-bench %s\n", SHOWDOWN_VERSION);
        return 0;
    }
    default_paths(&a.paths);
    a.run.from_rate = 10;
    a.run.to_rate = 1e6;
    /* compare A.csv... -- B.csv...: the files after "--" are B's, cut off
     * before getopt, which would move them. */
    int b_at = argc;
    for (int i = 2; i < argc && b_at == argc && !strcmp(command, "compare"); i++)
        if (!strcmp(argv[i], "--"))
            b_at = i;
    int rc = parse_flags(b_at, argv, &a);
    if (rc >= 0)
        return rc;
    const char *scenario_dir = a.paths.scenario_dir;
    bool is_markdown = a.is_markdown;
    int rest = b_at - optind;
    char **args = argv + optind;

    if (!strcmp(command, "run")) {
        if (rest < 1)
            return bad("run: name at least one scenario");
        return bench_run(&a.run, args, rest);
    }
    if (!strcmp(command, "capacity")) {
        if (rest < 1)
            return bad("capacity: name at least one scenario");
        if (a.run.from_rate >= a.run.to_rate)
            return bad("capacity: --from must be below --to");
        a.run.is_capacity = true;
        return bench_run(&a.run, args, rest);
    }
    if (!strcmp(command, "calibrate")) {
        if (rest != 0)
            return bad("calibrate: takes no scenario (it runs scenarios/calibrate.ini)");
        return bench_calibrate(&a.run);
    }
    if (!strcmp(command, "claims")) {
        if (rest != 1)
            return bad("claims: give one results CSV");
        return bench_claims(args[0], scenario_dir, is_markdown);
    }
    if (!strcmp(command, "compare")) {
        /* Without "--", A.csv B.csv: one file a side. */
        bool has_split = b_at < argc;
        int na = has_split ? rest : 1, nb = has_split ? argc - b_at - 1 : 1;
        if (!has_split && rest != 2)
            return bad("compare: give two results CSVs, or A's runs -- B's runs");
        if (has_split && (na < 1 || nb < 1))
            return bad("compare: give at least one CSV before -- and one after");
        const char *const *a_files = (const char *const *)args;
        return bench_compare(a_files, na,
                             has_split ? (const char *const *)argv + b_at + 1 : a_files + 1, nb,
                             a.threshold, a.noise);
    }
    if (!strcmp(command, "report")) {
        if (rest != 1)
            return bad("report: give one results CSV");
        return bench_report(args[0], scenario_dir);
    }
    if (!strcmp(command, "fidelity")) {
        if (rest != 1)
            return bad("fidelity: give one results CSV");
        return bench_fidelity(args[0], scenario_dir, is_markdown);
    }
    if (!strcmp(command, "merge")) {
        if (rest < 1)
            return bad("merge: give one .hlog file or more");
        return bench_merge(args, rest, a.csv);
    }
    if (!strcmp(command, "sample")) {
        if (rest != 1)
            return bad("sample: give one process id");
        return bench_sample(args[0]);
    }
    fprintf(stderr,
            "bench: unknown command '%s' (run, capacity, calibrate, claims, compare, report, "
            "fidelity,\n"
            "merge, sample)\n",
            command);
    return 2;
}
