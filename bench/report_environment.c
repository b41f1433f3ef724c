/* report_environment.c — see report_environment.h. */
#include "report_environment.h"
#include "html.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A fact as text: a string as it is, a number or object as JSON. */
static void html_value(FILE *out, const json_t *value) {
    char *text = json_is_string(value)
                     ? NULL
                     : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    html_text(out, text ? text : json_string_value(value));
    free(text);
}

/* One cell: the value, or "absent: REASON" when it is null. */
static void html_fact(FILE *out, const json_t *value, const json_t *absent, const char *name) {
    if (!json_is_null(value)) {
        html_value(out, value);
        return;
    }
    fprintf(out, "<em>absent: ");
    html_text(out, json_string_value(json_object_get(absent, name)));
    fprintf(out, "</em>");
}

static void html_versions(FILE *out, const json_t *versions, const json_t *absent) {
    const char *name;
    json_t *value;
    fprintf(out, "<tr><th>versions</th><td>");
    json_object_foreach((json_t *)versions, name, value) {
        char key[128];
        snprintf(key, sizeof(key), "versions.%s", name);
        fprintf(out, "%s ", name);
        html_fact(out, value, absent, key);
        fprintf(out, "<br>");
    }
    fprintf(out, "</td></tr>\n");
}

static void html_warnings(FILE *out, const json_t *warnings) {
    size_t i;
    json_t *w;
    if (json_array_size(warnings) == 0)
        return;
    fprintf(out, "<p><strong>Warnings given before the run:</strong></p>\n<ul>\n");
    json_array_foreach((json_t *)warnings, i, w) {
        fprintf(out, "<li>***WARNING*** ");
        html_text(out, json_string_value(w));
        fprintf(out, "</li>\n");
        printf("report: ***WARNING*** %s\n", json_string_value(w));
    }
    fprintf(out, "</ul>\n");
}

void report_environment_html(FILE *out, const char *run_dir) {
    char path[4300];
    json_error_t error;
    snprintf(path, sizeof(path), "%s/run.json", run_dir);
    json_t *root = json_load_file(path, 0, &error);
    fprintf(out, "<h2>Environment</h2>\n");
    json_t *env = json_object_get(root, "environment");
    if (!env) {
        char text[4600];
        snprintf(text, sizeof(text), "%s: %s", path,
                 root ? "holds no environment (a run before bench recorded it)" : error.text);
        fprintf(out, "<p><em>Not known: ");
        html_text(out, text);
        fprintf(out, ". The rows give the host, CPU model and cores only.</em></p>\n");
        fprintf(stderr, "bench: report: no environment: %s\n", text);
        json_decref(root);
        return;
    }
    const json_t *absent = json_object_get(env, "absent");
    const char *name;
    json_t *value;
    fprintf(out, "<table>\n");
    json_object_foreach(env, name, value) {
        if (!strcmp(name, "absent") || !strcmp(name, "versions"))
            continue;
        fprintf(out, "<tr><th>");
        html_text(out, name);
        fprintf(out, "</th><td>");
        html_fact(out, value, absent, name);
        fprintf(out, "</td></tr>\n");
    }
    html_versions(out, json_object_get(env, "versions"), absent);
    fprintf(out, "</table>\n");
    html_warnings(out, json_object_get(root, "warnings"));
    json_decref(root);
}
