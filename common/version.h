/*
 * version.h — who a binary is: showdown's version, defined once, which the
 * three binaries print for --version ("showdown-loadgen 0.1"), and the name
 * their --help shows ("Usage: showdown-loadgen" installed, "Usage: loadgen"
 * in the build tree). help2man makes the man pages from those two.
 */
#ifndef SHOWDOWN_VERSION_H
#define SHOWDOWN_VERSION_H

#include <string.h>

#define SHOWDOWN_VERSION "0.1"

/* The name a program was run by: argv[0] without its folder. */
static inline const char *program_name(const char *argv0) {
    const char *slash = strrchr(argv0, '/');
    return slash ? slash + 1 : argv0;
}

#endif
