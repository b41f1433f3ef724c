/*
 * identity.h — what identifies the machine and code a run measured: the
 * host, the CPU model, the core count and the git revision of the
 * binaries; every result row carries them.
 */
#ifndef SHOWDOWN_BENCH_IDENTITY_H
#define SHOWDOWN_BENCH_IDENTITY_H

struct run_identity {
    char host[128];      /* the host name up to its first dot */
    char cpu_model[256]; /* /proc/cpuinfo's first "model name"; "unknown" */
    char cores[16];      /* online processors */
    char git_rev[64];    /* git describe --always --dirty; "unknown" */
};

/* Fills id; the revision is that of the tree above server's folder
 * (bin/server → its checkout). Never fails: what cannot be read is
 * "unknown". */
void identity_read(struct run_identity *id, const char *server);

#endif
