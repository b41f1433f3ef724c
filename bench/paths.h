/*
 * paths.h — where bin/bench finds what it runs: its two sibling binaries,
 * the scenarios and the peers, in the build tree and when installed.
 *
 *   build tree   bin/bench, bin/server, bin/loadgen, scenarios/, peers/
 *   installed    PREFIX/bin/showdown-bench, showdown-server, showdown-loadgen,
 *                PREFIX/share/showdown/scenarios/, PREFIX/share/showdown/peers/
 *
 * The layout is read off the executable's own name (/proc/self/exe):
 * showdown-bench's siblings are showdown-server and showdown-loadgen, and
 * its data is in ../share/showdown; bench's are server and loadgen, and
 * its data is in .. . Everything is found relative to the executable, never
 * a compiled-in prefix, so a copy installed under DESTDIR or moved works as
 * well. The flags (--server, --loadgen, --scenarios) come first; main.c
 * applies them over what these functions found.
 */
#ifndef SHOWDOWN_BENCH_PATHS_H
#define SHOWDOWN_BENCH_PATHS_H

#include <stddef.h>

/* Writes into out the binary a sibling (name is "server" or "loadgen")
 * runs from: $SHOWDOWN_<NAME> if set and not empty; else the sibling
 * beside this executable in its layout's name (showdown-server beside
 * showdown-bench, server beside bench), or in the other layout's name if
 * only that one exists. When none exists, the layout's own, so that the
 * caller's "no such file" names where it belongs. */
void paths_sibling(const char *name, char *out, size_t cap);

/* Writes into out the folder the data named name ("scenarios" or "peers")
 * is in: $SHOWDOWN_<NAME> if set and not empty; else ./name if the current
 * directory has it; else the one beside this executable
 * (../share/showdown/name installed, ../name in the build tree; the other
 * layout's if only that one exists). When none exists, the layout's own. */
void paths_data_dir(const char *name, char *out, size_t cap);

#endif
