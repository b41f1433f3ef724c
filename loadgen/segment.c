/*
 * segment.c — which slice of the run this loadgen sends (docs/DESIGN.md,
 * "Data path: loadgen"): --segment I/N, else what the launcher that
 * started it says. Slices are 0-based, as every launcher numbers them:
 * Open MPI's mpirun sets OMPI_COMM_WORLD_RANK (0..N-1) and
 * OMPI_COMM_WORLD_SIZE, MPICH's (Hydra's) PMI_RANK and PMI_SIZE, and a
 * Kubernetes Indexed Job JOB_COMPLETION_INDEX (0..completions-1; the
 * count is not in the environment, hence --segments N). No MPI library is
 * linked: the launcher only starts the processes.
 */
#include "../common/options.h"
#include "loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number from min to max in text; -1 with err naming `what`. */
static int whole_of(const char *what, const char *text, uint64_t min, uint64_t max, unsigned *out,
                    char *err, size_t err_len) {
    char reason[OPT_ERR_MAX];
    uint64_t n;
    if (opt_parse_uint(text, min, max, &n, reason, sizeof(reason)) < 0) {
        snprintf(err, err_len, "%s: '%s': %s", what, text, reason);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* "I/N" with I in 0..N-1. */
static int parse_spec(struct lg_config *config, const char *spec, char *err, size_t err_len) {
    const char *slash = strchr(spec, '/');
    char index[32];
    if (!slash || (size_t)(slash - spec) >= sizeof(index)) {
        snprintf(err, err_len, "--segment: '%s': expected I/N, e.g. 0/2 (0-based)", spec);
        return -1;
    }
    snprintf(index, sizeof(index), "%.*s", (int)(slash - spec), spec);
    if (whole_of("--segment", slash + 1, 1, 65536, &config->segments, err, err_len) < 0 ||
        whole_of("--segment", index, 0, config->segments - 1, &config->segment, err, err_len) < 0)
        return -1;
    snprintf(config->segment_from, sizeof(config->segment_from), "--segment");
    return 0;
}

/* A rank and a size from two variables, when the first is set. 1 when not set. */
static int from_env(struct lg_config *config, const char *rank, const char *size, char *err,
                    size_t err_len) {
    const char *rank_text = getenv(rank), *size_text = getenv(size);
    if (!rank_text)
        return 1;
    if (!size_text) {
        snprintf(err, err_len, "%s is set but %s is not", rank, size);
        return -1;
    }
    if (whole_of(size, size_text, 1, 65536, &config->segments, err, err_len) < 0 ||
        whole_of(rank, rank_text, 0, config->segments - 1, &config->segment, err, err_len) < 0)
        return -1;
    snprintf(config->segment_from, sizeof(config->segment_from), "%s", rank);
    return 0;
}

static int find_segment(struct lg_config *config, const char *spec, unsigned segments, char *err,
                        size_t err_len) {
    if (spec)
        return parse_spec(config, spec, err, err_len);
    int rc = from_env(config, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", err, err_len);
    if (rc <= 0)
        return rc;
    rc = from_env(config, "PMI_RANK", "PMI_SIZE", err, err_len);
    if (rc <= 0)
        return rc;
    if (segments == 0)
        return 0;
    const char *index = getenv("JOB_COMPLETION_INDEX");
    if (!index) {
        snprintf(err, err_len,
                 "--segments: JOB_COMPLETION_INDEX is not set (use --segment I/N outside a "
                 "Kubernetes Indexed Job)");
        return -1;
    }
    config->segments = segments;
    snprintf(config->segment_from, sizeof(config->segment_from), "JOB_COMPLETION_INDEX");
    return whole_of("JOB_COMPLETION_INDEX", index, 0, segments - 1, &config->segment, err, err_len);
}

int lg_segment_resolve(struct lg_config *config, const char *spec, unsigned segments, char *err,
                       size_t err_len) {
    config->segment = 0;
    config->segments = 1;
    config->segment_from[0] = '\0';
    config->total_connections = config->connections;
    if (find_segment(config, spec, segments, err, err_len) < 0)
        return -1;
    if (config->segments == 1) {
        config->segment_from[0] = '\0';
        return 0;
    }
    if (config->connections < config->segments) {
        snprintf(err, err_len, "-c: %u connections cannot be shared by %u slices (%s)",
                 config->connections, config->segments, config->segment_from);
        return -1;
    }
    config->connections = lg_share(config->connections, config->segments, config->segment);
    return 0;
}

/* path with each "{segment}" replaced by the slice's index, into out. */
static int expand(const char *flag, const char *path, unsigned segment, char *out, size_t cap,
                  char *err, size_t err_len) {
    static const char mark[] = "{segment}";
    size_t n = 0;
    for (const char *p = path; *p;) {
        int len = strncmp(p, mark, sizeof(mark) - 1) == 0
                      ? snprintf(out + n, cap - n, "%u", segment)
                      : snprintf(out + n, cap - n, "%c", *p);
        p += strncmp(p, mark, sizeof(mark) - 1) == 0 ? sizeof(mark) - 1 : 1;
        n += (size_t)len;
        if (n >= cap) {
            snprintf(err, err_len, "%s: path too long", flag);
            return -1;
        }
    }
    out[n] = '\0';
    return 0;
}

int lg_segment_paths(struct lg_config *config, char *err, size_t err_len) {
    const char **paths[] = {&config->csv_path, &config->hgrm_path, &config->hlog_path,
                            &config->series_path};
    static const char *const flags[] = {"--csv", "--hgrm", "--hlog", "--series"};
    for (unsigned i = 0; i < 4; i++) {
        if (!*paths[i] || !strstr(*paths[i], "{segment}"))
            continue;
        if (expand(flags[i], *paths[i], config->segment, config->expanded_paths[i],
                   sizeof(config->expanded_paths[i]), err, err_len) < 0)
            return -1;
        *paths[i] = config->expanded_paths[i];
    }
    return 0;
}
