// hlog_check.js — reads a bin/loadgen --hlog file with hdr-histogram-js, an
// implementation of HdrHistogram nobody here wrote, and checks it against
// the same run's --json: every interval line decodes, and for the untagged
// lines merged (every path) and each Tag= merged (one path), the count,
// the max and p50/p90/p99/p99.9 agree with bin/loadgen's within one slot of
// its µs histogram (common/hlog.h: a µs slot's count sits inside that slot
// in ns). The percentiles are compared at the same rank: HdrHistogram_c,
// which common/hist.c follows, takes rank round(p/100 * N); the Java and
// JavaScript ports ceil(p/100 * N), so the rank is asked of them directly.
// Usage: NODE_PATH=build/npm/node_modules node tests/hlog_check.js FILE.hlog FILE.json [LINES]
// Exits 0 when all agree, 1 (saying what) when not.
"use strict";
const fs = require("fs");
const hdr = require("hdr-histogram-js");

const [hlogPath, jsonPath, wantLines] = process.argv.slice(2);
const content = fs.readFileSync(hlogPath, "utf8");
const run = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
let failures = 0;
const check = (ok, what) => {
    console.log(`${ok ? "agree" : "DISAGREE"}: ${what}`);
    if (!ok) failures++;
};

const lines = content.split(/\r\n|\r|\n/).filter((l) => l && !l.startsWith("#") && !l.startsWith('"'));
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
check(decoded === lines.length && lines.length > 0, `${decoded} of ${lines.length} interval lines decoded`);
if (wantLines !== undefined)
    check(lines.length === Number(wantLines), `${lines.length} interval lines, ${wantLines} expected`);

// The width of common/hist.h's slot holding v µs: 1 below 2048, then doubling.
const slotWidth = (v) => (v < 2048 ? 1 : 2 ** (Math.floor(Math.log2(v)) - 10));
const within = (ns, us) => Math.abs(ns / 1000 - us) < slotWidth(Math.max(us, 1));

function compare(name, h, stats) {
    const want = stats.requests + stats.timeouts_recorded + stats.unsent_recorded;
    check(h.totalCount === want, `${name} count ${h.totalCount} = ${want}`);
    check(within(h.maxValue, stats.latency_us.max),
          `${name} max ${(h.maxValue / 1000).toFixed(3)} us ~ ${stats.latency_us.max} us`);
    for (const [key, p] of [["p50", 50], ["p90", 90], ["p99", 99], ["p999", 99.9]]) {
        const rank = Math.max(1, Math.floor((p / 100) * h.totalCount + 0.5));
        const ns = h.getValueAtPercentile((100 * rank) / h.totalCount);
        check(within(ns, stats.latency_us[key]),
              `${name} ${key} ${(ns / 1000).toFixed(3)} us ~ ${stats.latency_us[key]} us ` +
              `(at its own rank: ${(h.getValueAtPercentile(p) / 1000).toFixed(3)} us)`);
    }
}

if (merged[""]) compare("all paths", merged[""], run);
else check(false, "no untagged lines");
for (const path of run.paths) {
    if (merged[path.path]) compare(path.path, merged[path.path], path);
    else check(false, `no Tag=${path.path} lines`);
}
process.exit(failures ? 1 : 0);
