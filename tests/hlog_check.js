// hlog_check.js — decodes a .hlog file with hdr-histogram-js (an
// implementation of HdrHistogram nobody here wrote) and prints, as JSON,
// how many interval lines it decoded and, for the untagged lines merged and
// for each tag merged, the count, max and p50/p90/p99/p99.9 in ns.
// Usage: NODE_PATH=build/npm/node_modules node tests/hlog_check.js FILE
"use strict";
const fs = require("fs");
const hdr = require("hdr-histogram-js");

const content = fs.readFileSync(process.argv[2], "utf8");
const intervalLines = content
    .split(/\r\n|\r|\n/)
    .filter((l) => l && !l.startsWith("#") && !l.startsWith('"')).length;
const reader = new hdr.HistogramLogReader(content);
const merged = {};
let decoded = 0;
for (let h; (h = reader.nextIntervalHistogram()) !== null; decoded++) {
    const tag = !h.tag || h.tag === "NO TAG" ? "" : h.tag; // the reader's NO_TAG
    if (!merged[tag])
        merged[tag] = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3600e9,
                                  numberOfSignificantValueDigits: 4 });
    merged[tag].add(h);
}
const summary = (h) => ({
    count: h.totalCount,
    max: h.maxValue,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
});
const out = { lines: intervalLines, decoded, tags: {} };
for (const tag of Object.keys(merged))
    out.tags[tag] = summary(merged[tag]);
process.stdout.write(JSON.stringify(out) + "\n");
