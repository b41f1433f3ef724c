/*
 * main.c — bin/bench: run scenarios, judge claims, compare runs, report.
 */
#include "../common/version.h"
#include "bench.h"
#include "paths.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* name is the program's (bench, or showdown-bench installed). */
static void usage(FILE *out, const char *name) {
    fprintf(out,
            "Usage: %1$s run [--quick] [--peers] [--models LIST] [--calibration FILE.ini]\n"
            "                [--out FILE.csv] SCENARIO...\n"
            "  or:  %1$s calibrate [--quick] [--models LIST] [--out FILE.ini]\n"
            "  or:  %1$s claims [--markdown] FILE.csv\n"
            "  or:  %1$s compare [--threshold PCT] A.csv B.csv\n"
            "  or:  %1$s report FILE.csv\n"
            "  or:  %1$s fidelity [--markdown] FILE.csv\n"
            "  or:  %1$s --version\n"
            "\n"
            "  run       for each scenario x model x connection level x repeat: start\n"
            "            bin/server, drive it with bin/loadgen, append rows to\n"
            "            results/<UTC stamp>-<host>.csv (.partial until complete)\n"
            "  calibrate each real runtime's server CPU per GET /hello at a moderate\n"
            "            open-loop rate (scenario calibrate, --peers), less its C twin's:\n"
            "            FILE.ini (default results/<UTC stamp>-<host>-calibration.ini),\n"
            "            each model's bin/server --runtime-cost on this host\n"
            "  claims    judge the claims of the scenarios in FILE.csv: holds, fails or\n"
            "            inconclusive; exit 1 when a required claim fails\n"
            "  compare   medians of A and B per scenario, model, path and connections; a\n"
            "            change is marked only when the repeats do not overlap; with\n"
            "            --threshold 10%%, exit 1 on a marked regression beyond it\n"
            "  report    write FILE.html: gnuplot charts per scenario and the claims\n"
            "  fidelity  each C model beside its real runtime (--peers rows): the shape\n"
            "            ratios side by side, faithful within 25%% or not\n"
            "\n"
            "  SCENARIO         a name in the scenario folder (io-bound) or a .ini file\n"
            "  --models LIST    only these models (space- or comma-separated)\n"
            "  --peers          also run the real runtime beside each C model that has\n"
            "                   one (real-node, real-gunicorn-sync, ...; peers/)\n"
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
            "the scenarios are.\n",
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
    struct bench_paths paths;
    bool is_markdown;
    double threshold;
};

/* Reads the flags after argv[1] into a (whose paths hold the defaults).
 * Returns -1 when they are fine, else the exit status (0 after --help). */
static int parse_flags(int argc, char **argv, struct bench_args *a) {
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
        {"calibration", required_argument, NULL, OPT_CALIBRATION},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
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
        case OPT_CALIBRATION:
            a->run.calibration = optarg;
            break;
        case OPT_MARKDOWN:
            a->is_markdown = true;
            break;
        case OPT_THRESHOLD: {
            char *end;
            a->threshold = strtod(optarg, &end);
            if (*end == '%')
                a->threshold /= 100, end++;
            if (end == optarg || *end || !(a->threshold > 0 && a->threshold < 10))
                return bad("--threshold: expected a percentage, e.g. 10%");
            break;
        }
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
    static struct bench_args a;

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
    int rc = parse_flags(argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *scenario_dir = a.paths.scenario_dir;
    bool is_markdown = a.is_markdown;
    int rest = argc - optind;
    char **args = argv + optind;

    if (!strcmp(command, "run")) {
        if (rest < 1)
            return bad("run: name at least one scenario");
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
        if (rest != 2)
            return bad("compare: give two results CSVs");
        return bench_compare(args[0], args[1], a.threshold);
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
    fprintf(stderr,
            "bench: unknown command '%s' (run, calibrate, claims, compare, report, fidelity)\n",
            command);
    return 2;
}
