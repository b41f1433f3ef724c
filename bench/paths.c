/*
 * paths.c — see paths.h.
 */
#include "paths.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATHS_MAX 4096

/* The two layouts, named by the executable's own name. A sibling is
 * EXEDIR/sibling NAME, a data folder TOP/data NAME, where TOP is the
 * folder above EXEDIR (PREFIX for PREFIX/bin/showdown-bench). */
struct layout {
    const char *bench;   /* this executable's name in the layout */
    const char *sibling; /* prefix of a sibling binary's name */
    const char *data;    /* where data folders are under TOP */
};
static const struct layout layouts[] = {
    {"bench", "", ""}, /* the first is the one of an unknown name */
    {"showdown-bench", "showdown-", "share/showdown/"},
};
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* $SHOWDOWN_<NAME> into out; false if it is unset or empty. */
static bool from_env(const char *name, char *out, size_t cap) {
    char var[64] = "SHOWDOWN_";
    size_t n = strlen(var);
    for (; *name && n < sizeof(var) - 1; name++)
        var[n++] = (char)toupper((unsigned char)*name);
    var[n] = '\0';
    const char *value = getenv(var);
    if (!value || !*value)
        return false;
    snprintf(out, cap, "%s", value);
    return true;
}

static bool is_there(const char *path, bool is_dir) {
    struct stat st;
    if (is_dir)
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    return access(path, X_OK) == 0;
}

/* name beside this executable in its own layout, else in another where
 * that one exists, else in its own. For data, beside means under TOP. */
static void beside_me(const char *name, bool is_data, char *out, size_t cap) {
    char dir[PATHS_MAX], top[PATHS_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash) {
        snprintf(out, cap, "%s", name);
        return;
    }
    *slash = '\0';
    const char *base = slash + 1;
    snprintf(top, sizeof(top), "%s", dir);
    char *up = strrchr(top, '/');
    if (up)
        *up = '\0';

    const struct layout *own = &layouts[0];
    for (size_t i = 0; i < NLAYOUTS; i++)
        if (!strcmp(layouts[i].bench, base))
            own = &layouts[i];
    const char *folder = is_data ? top : dir;
    for (int i = -1; i < (int)NLAYOUTS; i++) {
        const struct layout *layout = i < 0 ? own : &layouts[i];
        if (i >= 0 && layout == own)
            continue;
        snprintf(out, cap, "%s/%s%s", folder, is_data ? layout->data : layout->sibling, name);
        if (is_there(out, is_data))
            return;
    }
    snprintf(out, cap, "%s/%s%s", folder, is_data ? own->data : own->sibling, name);
}

void paths_sibling(const char *name, char *out, size_t cap) {
    if (!from_env(name, out, cap))
        beside_me(name, false, out, cap);
}

void paths_data_dir(const char *name, char *out, size_t cap) {
    if (from_env(name, out, cap))
        return;
    if (is_there(name, true)) {
        snprintf(out, cap, "%s", name);
        return;
    }
    beside_me(name, true, out, cap);
}
