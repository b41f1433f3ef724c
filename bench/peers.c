/* peers.c — see peers.h. The commands run Debian's node and /usr/bin/python3
 * (not a python3 earlier on PATH: Flask, gunicorn and uvicorn come from
 * Debian's python3-* packages, which only Debian's interpreter sees). */
#include "peers.h"

#include <stdio.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"
#define NODE   "/usr/bin/node"

/* name, twin, engine, gil, command, takes --workers, takes --threads */
// clang-format off
const struct peer peers[] = {
    {"real-node", "node", "node-http", "0",
     {NODE, "node/server.js", "--mode", "plain"}, false, false},
    {"real-node-cluster", "node-cluster", "node-cluster", "0",
     {NODE, "node/server.js", "--mode", "cluster"}, true, false},
    {"real-node-workers", "node-workers", "node-worker_threads", "0",
     {NODE, "node/server.js", "--mode", "workers"}, false, false},
    {"real-python-threads", "python-threads", "cpython-threadinghttpserver", "1",
     {PYTHON, "python/peer.py", "threads"}, false, false},
    {"real-gunicorn-sync", "gunicorn-sync", "gunicorn-sync-flask", "1",
     {PYTHON, "python/peer.py", "gunicorn-sync"}, true, false},
    {"real-gunicorn-gthread", "gunicorn-gthread", "gunicorn-gthread-flask", "1",
     {PYTHON, "python/peer.py", "gunicorn-gthread"}, true, true},
    {"real-uvicorn", "uvicorn", "uvicorn-asgi", "1",
     {PYTHON, "python/peer.py", "uvicorn"}, false, false},
    {"real-uvicorn-workers", "uvicorn-workers", "gunicorn-uvicornworker-asgi", "1",
     {PYTHON, "python/peer.py", "uvicorn-workers"}, true, false},
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

int peer_argv(const struct peer *peer, const char *peers_dir, const char *processes,
              const char *threads, char *storage, size_t cap, char **argv) {
    char script[4096];
    size_t used = 0;
    int argc = 0;
    snprintf(script, sizeof(script), "%s/%s", peers_dir, peer->command[1]);
    for (size_t i = 0; i < sizeof(peer->command) / sizeof(peer->command[0]) && peer->command[i];
         i++)
        argv[argc++] = store(storage, cap, &used, i == 1 ? script : peer->command[i]);
    if (peer->takes_workers) {
        argv[argc++] = store(storage, cap, &used, "--workers");
        argv[argc++] = store(storage, cap, &used, processes);
    }
    if (peer->takes_threads) {
        argv[argc++] = store(storage, cap, &used, "--threads");
        argv[argc++] = store(storage, cap, &used, threads);
    }
    argv[argc++] = store(storage, cap, &used, "--ready-fd");
    argv[argc++] = store(storage, cap, &used, "3");
    argv[argc] = NULL;
    for (int i = 0; i < argc; i++)
        if (!argv[i])
            return -1;
    return argc;
}
