/*
 * report_claims.c — the chart per claim (see report_claims.h), drawn by
 * gnuplot with the report's other charts: boxes at x = 0, 1 (the models'
 * left and right side) and 3, 4 (the real twins'), yerrorbars over them.
 */
#include "report_claims.h"
#include "html.h"

#include <stdio.h>

/* One bar's line of the data file: x, label, median, lo, hi (nan: none). */
static void write_bar(FILE *dat, int x, const char *label, const struct claim_verdict *v,
                      const struct ex_value *side) {
    if (v->is_judged && side->is_known)
        fprintf(dat, "%d \"%s\" %g %g %g\n", x, label, side->median, side->lo, side->hi);
    else
        fprintf(dat, "%d \"%s\" nan nan nan\n", x, label);
}

int claims_chart_write(FILE *gp, const char *tmp_dir, const struct judged_claim *claims,
                       unsigned n) {
    char file[4200];
    for (unsigned i = 0; i < n; i++) {
        const struct judged_claim *j = &claims[i];
        snprintf(file, sizeof(file), "%s/claim-%u.dat", tmp_dir, i);
        FILE *dat = fopen(file, "w");
        if (!dat)
            return -1;
        write_bar(dat, 0, "models: left", &j->model, &j->model.result.left);
        write_bar(dat, 1, "models: right", &j->model, &j->model.result.right);
        write_bar(dat, 3, "real: left", &j->real, &j->real.result.left);
        write_bar(dat, 4, "real: right", &j->real, &j->real.result.right);
        if (fclose(dat) != 0)
            return -1;
        fprintf(gp,
                "set output \"%s/claim-%u.svg\"\nset title \"%s / %s (models %s, real %s)\" "
                "noenhanced\nset xlabel \"\"\nunset key\nset style fill solid 0.5\n"
                "set boxwidth 0.7\nset xrange [-0.7:4.7]\nset yrange [0:*]\n"
                "plot \"%s\" using 1:3:xtic(2) with boxes, \"\" using 1:3:4:5 with yerrorbars "
                "lc rgb \"black\" pt 0\nset xrange [*:*]\nset yrange [*:*]\n"
                "set style fill empty\nset key\nset xlabel \"connections\"\n",
                tmp_dir, i, j->sc->name, j->claim->name, claims_verdict_text(&j->model),
                claims_verdict_text(&j->real), file);
    }
    return 0;
}

void claims_chart_html(FILE *out, const char *tmp_dir, const struct judged_claim *claims,
                       unsigned n) {
    char file[4200];
    if (n > 0)
        fprintf(out, "<h3>Each claim, the models and the real runtimes side by side</h3>\n"
                     "<p>The bars are each side of the expect (the right side with its "
                     "factor); the error bars the range over the repeats.</p>\n");
    for (unsigned i = 0; i < n; i++) {
        snprintf(file, sizeof(file), "%s/claim-%u.svg", tmp_dir, i);
        if (html_inline_svg(out, file) < 0) {
            fputs("<p>no chart for ", out);
            html_text(out, claims[i].claim->name);
            fputs("</p>\n", out);
        }
    }
}
