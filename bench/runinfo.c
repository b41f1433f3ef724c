/* runinfo.c — see runinfo.h. */
#define _GNU_SOURCE
#include "runinfo.h"
#include "hosts.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static json_t *calibration_json(const struct calibration *cal) {
    json_t *all = json_object();
    for (int rt = 0; rt < CAL_RUNTIMES; rt++) {
        const struct cal_figure *f = &cal->of[rt];
        if (!f->is_measured)
            continue;
        json_object_set_new(all, cal_runtime_name(rt),
                            json_pack("{s:f, s:f, s:i, s:b, s:f, s:s}", "iterations_per_us",
                                      f->iters_per_us, "spread", f->spread, "attempts",
                                      (int)f->attempts, "is_steady", f->is_steady, "max_spread",
                                      CAL_MAX_SPREAD, "version", f->version));
    }
    return all;
}

/* --hosts: the file and every host, NAME@ADDRESS and its launcher. */
static json_t *hosts_json(const struct hosts *h) {
    char label[200];
    json_t *clients = json_array();
    for (unsigned i = 0; i < h->nclients; i++) {
        hosts_label(&h->clients[i], label, sizeof(label));
        json_array_append_new(
            clients, json_pack("{s:s, s:s}", "host", label, "launcher", h->clients[i].launcher));
    }
    hosts_label(&h->server, label, sizeof(label));
    return json_pack("{s:s, s:{s:s, s:s}, s:o}", "file", h->file, "server", "host", label,
                     "launcher", h->server.launcher, "clients", clients);
}

int runinfo_write(const struct runner *r, const json_t *env, const json_t *warnings, char *err,
                  size_t err_len) {
    char path[4300], tmp[4400];
    snprintf(path, sizeof(path), "%s/run.json", r->out.dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:O, s:O, s:s?}", "run_id",
        r->out.run_id, "csv", r->out.csv, "host", r->id.host, "cpu_model", r->id.cpu_model, "cores",
        r->id.cores, "git_rev", r->id.git_rev, "pinning", "server_cpus", r->cpus.server_text,
        "loadgen_cpus", r->cpus.loadgen_text, "unpinned_cpus", r->cpus.all_text, "calibration",
        calibration_json(&r->cal), "environment", env, "warnings", warnings, "runtime_cost_file",
        r->options->calibration);
    if (!root)
        return snprintf(err, err_len, "%s: cannot build the record", path), -1;
    if (r->hosts)
        json_object_set_new(root, "hosts", hosts_json(r->hosts));
    int rc = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (rc < 0 || rename(tmp, path) < 0) {
        snprintf(err, err_len, "%s: %s", rc < 0 ? tmp : path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
