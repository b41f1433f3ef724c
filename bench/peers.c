/* peers.c — see peers.h. */
#include "peers.h"

#include <stdio.h>
#include <string.h>

/* name, twin, engine, gil, runtime, command, takes --workers, takes --threads */
// clang-format off
const struct peer peers[] = {
    {"real-node", "node", "node-http", "0", CAL_NODE,
     {PEERS_NODE, "node/server.js", "--mode", "plain"}, false, false},
    {"real-node-cluster", "node-cluster", "node-cluster", "0", CAL_NODE,
     {PEERS_NODE, "node/server.js", "--mode", "cluster"}, true, false},
    {"real-node-workers", "node-workers", "node-worker_threads", "0", CAL_NODE,
     {PEERS_NODE, "node/server.js", "--mode", "workers"}, false, false},
    {"real-python-threads", "python-threads", "cpython-threadinghttpserver", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "threads"}, false, false},
    {"real-gunicorn-sync", "gunicorn-sync", "gunicorn-sync-flask", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "gunicorn-sync"}, true, false},
    {"real-gunicorn-gthread", "gunicorn-gthread", "gunicorn-gthread-flask", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "gunicorn-gthread"}, true, true},
    /* real-uvicorn first: the one --peers adds beside uvicorn (peer_of_twin).
     * Its loop is uvicorn's "auto", which is uvloop where installed, so it
     * runs as real-uvicorn-uvloop does; the name stays for older CSVs. */
    {"real-uvicorn", "uvicorn", "uvicorn-asgi", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "uvicorn"}, false, false},
    {"real-uvicorn-uvloop", "uvicorn", "uvicorn-asgi-uvloop", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "uvicorn-uvloop"}, false, false},
    {"real-uvicorn-asyncio", "uvicorn", "uvicorn-asgi-asyncio", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "uvicorn-asyncio"}, false, false},
    {"real-fastapi", "uvicorn", "fastapi-uvicorn", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "fastapi"}, false, false},
    {"real-uvicorn-workers", "uvicorn-workers", "gunicorn-uvicornworker-asgi", "1", CAL_CPYTHON,
     {PEERS_PYTHON, "python/peer.py", "uvicorn-workers"}, true, false},
};
// clang-format on
const unsigned npeers = sizeof(peers) / sizeof(peers[0]);

const struct peer *peer_find(const char *name) {
    for (unsigned i = 0; i < npeers; i++)
        if (!strcmp(peers[i].name, name))
            return &peers[i];
    return NULL;
}

const struct peer *peer_of_twin(const char *twin) {
    for (unsigned i = 0; i < npeers; i++)
        if (!strcmp(peers[i].twin, twin))
            return &peers[i];
    return NULL;
}

/* Copies text into storage at *used; NULL when it does not fit. */
static char *store(char *storage, size_t cap, size_t *used, const char *text) {
    size_t len = strlen(text) + 1;
    if (*used + len > cap)
        return NULL;
    char *at = memcpy(storage + *used, text, len);
    *used += len;
    return at;
}

static int fill_argv(const char *const *command, size_t ncommand, const char *peers_dir,
                     char *storage, size_t cap, size_t *used, char **argv) {
    char script[4096];
    int argc = 0;
    snprintf(script, sizeof(script), "%s/%s", peers_dir, command[1]);
    for (size_t i = 0; i < ncommand && command[i]; i++)
        argv[argc++] = store(storage, cap, used, i == 1 ? script : command[i]);
    return argc;
}

static int check_argv(char **argv, int argc) {
    argv[argc] = NULL;
    for (int i = 0; i < argc; i++)
        if (!argv[i])
            return -1;
    return argc;
}

int peer_argv(const struct peer *peer, const char *peers_dir, const char *processes,
              const char *threads, const char *calibration, char *storage, size_t cap,
              char **argv) {
    size_t used = 0;
    size_t ncommand = sizeof(peer->command) / sizeof(peer->command[0]);
    int argc = fill_argv(peer->command, ncommand, peers_dir, storage, cap, &used, argv);
    if (peer->takes_workers) {
        argv[argc++] = store(storage, cap, &used, "--workers");
        argv[argc++] = store(storage, cap, &used, processes);
    }
    if (peer->takes_threads) {
        argv[argc++] = store(storage, cap, &used, "--threads");
        argv[argc++] = store(storage, cap, &used, threads);
    }
    if (calibration) {
        argv[argc++] = store(storage, cap, &used, "--cpu-calibration");
        argv[argc++] = store(storage, cap, &used, calibration);
    }
    argv[argc++] = store(storage, cap, &used, "--ready-fd");
    argv[argc++] = store(storage, cap, &used, "3");
    return check_argv(argv, argc);
}

int peer_calibrate_argv(enum cal_runtime runtime, const char *peers_dir, char *storage, size_t cap,
                        char **argv) {
    static const char *const node[] = {PEERS_NODE, "node/server.js", "--mode", "calibrate"};
    static const char *const python[] = {PEERS_PYTHON, "python/peer.py", "calibrate"};
    size_t used = 0;
    int argc;
    if (runtime == CAL_NODE)
        argc =
            fill_argv(node, sizeof(node) / sizeof(node[0]), peers_dir, storage, cap, &used, argv);
    else if (runtime == CAL_CPYTHON)
        argc = fill_argv(python, sizeof(python) / sizeof(python[0]), peers_dir, storage, cap, &used,
                         argv);
    else
        return -1;
    return check_argv(argv, argc);
}

/* The Debian packages a peer needs beyond python3 (peers/python/peer.py's
 * imports) or what runs it (nodejs), by the peer's name; longest match first. */
const char *peer_package(const char *name) {
    static const struct {
        const char *prefix, *packages;
    } needs[] = {
        {"real-node", "nodejs"},
        {"real-python-threads", "python3"},
        {"real-gunicorn", "python3-gunicorn python3-flask"},
        {"real-uvicorn-uvloop", "python3-uvicorn python3-uvloop python3-httptools"},
        {"real-uvicorn-workers", "python3-gunicorn python3-uvicorn python3-uvloop"},
        {"real-uvicorn", "python3-uvicorn python3-httptools"},
        {"real-fastapi", "python3-fastapi python3-uvicorn"},
    };
    for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
        if (!strncmp(name, needs[i].prefix, strlen(needs[i].prefix)))
            return needs[i].packages;
    return NULL;
}
