/* environment.c — see environment.h. */
#define _GNU_SOURCE
#include "environment.h"
#include "peers.h"
#include "proc.h"

#include <errno.h>
#include <event2/event.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <uv.h>

/* The Python packages the peers import, as importlib.metadata names them. */
static const char *const PYTHON_PACKAGES[] = {"gunicorn", "uvicorn", "flask", "fastapi", "uvloop"};

/* The record being built: the facts, and why each null one is null. */
struct env {
    json_t *facts, *absent;
};

/* Sets key (in facts, or in facts' object group when not NULL) to value,
 * or to null with why under "group.key" in absent when value is NULL. */
static void put(struct env *e, const char *group, const char *key, json_t *value, const char *why) {
    json_t *into = group ? json_object_get(e->facts, group) : e->facts;
    json_object_set_new(into, key, value ? value : json_null());
    if (!value) {
        char name[128];
        snprintf(name, sizeof(name), "%s%s%s", group ? group : "", group ? "." : "", key);
        json_object_set_new(e->absent, name, json_string(why));
    }
}

static void put_text(struct env *e, const char *group, const char *key, const char *text,
                     const char *why) {
    put(e, group, key, text ? json_string(text) : NULL, why);
}

/* The first line of /sys or /proc file path (under $SHOWDOWN_SYS_ROOT) in
 * out. Returns 0, or -1 with "FILE: reason" in why. */
static int read_line(const char *path, char *out, size_t cap, char *why, size_t why_len) {
    char full[4200];
    const char *root = getenv("SHOWDOWN_SYS_ROOT");
    snprintf(full, sizeof(full), "%s%s", root ? root : "", path);
    FILE *in = fopen(full, "re");
    if (!in)
        return snprintf(why, why_len, "%s: %s", full, strerror(errno)), -1;
    bool is_read = fgets(out, (int)cap, in) != NULL;
    fclose(in);
    if (!is_read)
        return snprintf(why, why_len, "%s: empty", full), -1;
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static void put_file(struct env *e, const char *key, const char *path, bool is_number) {
    char text[256], why[4400];
    if (read_line(path, text, sizeof(text), why, sizeof(why)) < 0)
        put(e, NULL, key, NULL, why);
    else
        put(e, NULL, key, is_number ? json_integer(strtoll(text, NULL, 10)) : json_string(text),
            NULL);
}

/* Every online CPU's governor: one name, or the distinct ones joined by ",". */
static void put_governor(struct env *e) {
    char path[128], name[64], all[256] = "", why[4400] = "";
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    for (long cpu = 0; cpu < cores; cpu++) {
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_governor",
                 cpu);
        if (read_line(path, name, sizeof(name), why, sizeof(why)) < 0)
            break;
        if (!strstr(all, name))
            snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", all[0] ? "," : "", name);
    }
    put_text(e, NULL, "governor", all[0] ? all : NULL, why);
}

/* intel_pstate's no_turbo (1: off), else acpi-cpufreq's boost (1: on). */
static void put_boost(struct env *e) {
    char text[32], why_pstate[4400], why_cpufreq[4400], why[9000];
    if (read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", text, sizeof(text), why_pstate,
                  sizeof(why_pstate)) == 0)
        put_text(e, NULL, "boost", atoi(text) ? "off" : "on", NULL);
    else if (read_line("/sys/devices/system/cpu/cpufreq/boost", text, sizeof(text), why_cpufreq,
                       sizeof(why_cpufreq)) == 0)
        put_text(e, NULL, "boost", atoi(text) ? "on" : "off", NULL);
    else {
        snprintf(why, sizeof(why), "%s; %s", why_pstate, why_cpufreq);
        put_text(e, NULL, "boost", NULL, why);
    }
}

static void put_smt(struct env *e) {
    char text[32], why[4400];
    int rc = read_line("/sys/devices/system/cpu/smt/active", text, sizeof(text), why, sizeof(why));
    put_text(e, NULL, "smt", rc < 0 ? NULL : atoi(text) ? "on" : "off", why);
}

/* Whether /proc/cpuinfo's flags have "hypervisor": 1, 0, or -1 (why). */
static int has_hypervisor_flag(char *why, size_t why_len) {
    char line[4096];
    FILE *in = fopen("/proc/cpuinfo", "re");
    if (!in)
        return snprintf(why, why_len, "/proc/cpuinfo: %s", strerror(errno)), -1;
    bool is_guest = false;
    while (!is_guest && fgets(line, sizeof(line), in))
        is_guest = !strncmp(line, "flags", 5) && strstr(line, " hypervisor");
    fclose(in);
    return is_guest;
}

/* systemd-detect-virt's answer ("none" when it finds none), else whether
 * /proc/cpuinfo has the hypervisor flag. */
static void put_virtualization(struct env *e) {
    char out[128] = "", why[4400];
    char *argv[] = {"systemd-detect-virt", NULL}; /* exits 1 saying "none" */
    if (proc_capture(argv, out, sizeof(out), -1) == 0 || !strcmp(out, "none")) {
        put_text(e, NULL, "virtualization", out, NULL);
        return;
    }
    int flag = has_hypervisor_flag(why, sizeof(why));
    put_text(e, NULL, "virtualization",
             flag < 0 ? NULL
             : flag   ? "hypervisor (cpuinfo flag)"
                      : "none",
             why);
}

static void put_kernel_and_limits(struct env *e) {
    struct utsname u;
    char text[1024];
    if (uname(&u) == 0) {
        snprintf(text, sizeof(text), "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
        put_text(e, NULL, "kernel", text, NULL);
    } else
        put_text(e, NULL, "kernel", NULL, strerror(errno));
    put(e, NULL, "cores_online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)), NULL);
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) < 0) {
        put(e, NULL, "nofile", NULL, strerror(errno));
        return;
    }
    json_t *soft = nofile.rlim_cur == RLIM_INFINITY ? json_string("unlimited")
                                                    : json_integer((json_int_t)nofile.rlim_cur);
    json_t *hard = nofile.rlim_max == RLIM_INFINITY ? json_string("unlimited")
                                                    : json_integer((json_int_t)nofile.rlim_max);
    put(e, NULL, "nofile", json_pack("{s:o, s:o}", "soft", soft, "hard", hard), NULL);
}

/* "abc1234-dirty" is git describe --dirty's: the flag is its suffix. */
static void put_git(struct env *e, const struct run_identity *id) {
    size_t n = strlen(id->git_rev);
    bool is_known = strcmp(id->git_rev, "unknown") != 0;
    put_text(e, NULL, "git_rev", is_known ? id->git_rev : NULL,
             "git describe --always --dirty failed beside bin/server");
    put(e, NULL, "git_dirty",
        is_known ? json_boolean(n > 6 && !strcmp(id->git_rev + n - 6, "-dirty")) : NULL,
        "no git revision");
}

/* The output of argv (after a leading "v"), or NULL with why. */
static const char *command_version(char *const argv[], char *out, size_t cap, char *why,
                                   size_t why_len) {
    if (access(argv[0], X_OK) != 0)
        return snprintf(why, why_len, "%s: %s", argv[0], strerror(errno)), NULL;
    if (proc_capture(argv, out, cap, -1) < 0 || !out[0])
        return snprintf(why, why_len, "%s %s: failed", argv[0], argv[1]), NULL;
    return out[0] == 'v' ? out + 1 : out;
}

/* CPython and the peers' packages, from Debian's interpreter (peers.h). */
static void put_python_versions(struct env *e) {
    static const char script[] = "import sys, importlib.metadata as m\n"
                                 "print(sys.version.split()[0])\n"
                                 "for name in sys.argv[1:]:\n"
                                 "    try: print(name, m.version(name))\n"
                                 "    except m.PackageNotFoundError: print(name, '-')\n";
    char out[1024], why[4400],
        *argv[] = {PEERS_PYTHON, "-c",      (char *)script, "gunicorn", "uvicorn",
                   "flask",      "fastapi", "uvloop",       NULL};
    const char *got = command_version(argv, out, sizeof(out), why, sizeof(why));
    char *save = NULL, *line = got ? strtok_r(out, "\n", &save) : NULL;
    put_text(e, "versions", "python3", line, why);
    for (size_t i = 0; i < sizeof(PYTHON_PACKAGES) / sizeof(PYTHON_PACKAGES[0]); i++) {
        char name[64], version[64];
        line = got ? strtok_r(NULL, "\n", &save) : NULL;
        bool is_found = line && sscanf(line, "%63s %63s", name, version) == 2 &&
                        !strcmp(name, PYTHON_PACKAGES[i]) && strcmp(version, "-") != 0;
        if (got && !is_found)
            snprintf(why, sizeof(why), "%s: no module %s (importlib.metadata)", PEERS_PYTHON,
                     PYTHON_PACKAGES[i]);
        put_text(e, "versions", PYTHON_PACKAGES[i], is_found ? version : NULL, why);
    }
}

/* The C libraries as bin/bench loads them, the same shared objects
 * bin/server links; llhttp is compiled in, so its header's version. */
static void put_versions(struct env *e) {
    char text[256], why[4400];
    json_object_set_new(e->facts, "versions", json_object());
    put_text(e, "versions", "libuv", uv_version_string(), NULL);
    put_text(e, "versions", "libevent", event_get_version(), NULL);
    snprintf(text, sizeof(text), "%d.%d.%d", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
             LLHTTP_VERSION_PATCH);
    put_text(e, "versions", "llhttp", text, NULL);
    put_text(e, "versions", "jansson", jansson_version_str(), NULL);
    /* zlib is no library of showdown's: node and CPython link Debian's zlib1g. */
    char *dpkg[] = {"/usr/bin/dpkg-query", "-W", "-f=${Version}", "zlib1g", NULL};
    put_text(e, "versions", "zlib", command_version(dpkg, text, sizeof(text), why, sizeof(why)),
             why);
    char *node[] = {PEERS_NODE, "--version", NULL};
    put_text(e, "versions", "node", command_version(node, text, sizeof(text), why, sizeof(why)),
             why);
    put_python_versions(e);
}

json_t *env_read(const struct run_identity *id) {
    struct env e = {json_object(), json_object()};
    if (!e.facts || !e.absent) {
        json_decref(e.facts);
        json_decref(e.absent);
        return NULL;
    }
    put_kernel_and_limits(&e);
    put_text(&e, NULL, "cpu_model", id->cpu_model, NULL);
    put_governor(&e);
    put_boost(&e);
    put_smt(&e);
    put_virtualization(&e);
    put_file(&e, "sys_vendor", "/sys/class/dmi/id/sys_vendor", false);
    put_file(&e, "clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource",
             false);
    put_file(&e, "somaxconn", "/proc/sys/net/core/somaxconn", true);
    put_file(&e, "tcp_max_syn_backlog", "/proc/sys/net/ipv4/tcp_max_syn_backlog", true);
    put_git(&e, id);
    put_versions(&e);
    json_object_set_new(e.facts, "absent", e.absent);
    return e.facts;
}

void env_runtime_versions(const struct run_identity *id, char *out, size_t cap) {
    static const char *const keys[][2] = {{"node", "node"},
                                          {"python3", "cpython"},
                                          {"gunicorn", "gunicorn"},
                                          {"uvicorn", "uvicorn"},
                                          {"flask", "flask"}};
    json_t *env = env_read(id);
    json_t *versions = json_object_get(env, "versions");
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && used < cap; i++) {
        const char *v = json_string_value(json_object_get(versions, keys[i][0]));
        if (v)
            used += (size_t)snprintf(out + used, cap - used, "%s%s %s", used ? ", " : "",
                                     keys[i][1], v);
    }
    json_decref(env);
}
