'use strict';
/*
 * server.js — the real Node.js beside showdown's node models: the same
 * endpoints and bodies as servers/handlers.c, served by Node's own `http`
 * module, so `bin/bench` can put a real runtime next to each C model.
 *
 *   node server.js [--mode plain|cluster|workers] [--workers N] [--pool N]
 *                  [--port P] [--ready-fd FD] [--cpu-calibration X]
 *   node server.js --mode calibrate   prints "ITERATIONS_PER_US SPREAD node VERSION"
 *
 * plain    one process, one loop: /cpu blocks it (real-node, twin of `node`)
 * cluster  the `cluster` module with N workers, Node's default scheduling
 *          on Linux (SCHED_RR: the primary accepts and hands connections
 *          round-robin) — real-node-cluster, twin of `node-cluster`
 * workers  /cpu, /work and /hash go to a pool of N `worker_threads` (default
 *          4, as UV_THREADPOOL_SIZE) through one FIFO queue, the loop answers
 *          the rest — real-node-workers, twin of `node-workers`
 *
 * /work?n=N runs work() N times, the same loop as common/cpuwork.c's
 * cpuwork_fixed() and peer.py's work(), not scaled to time: V8's speed at it
 * is the point. /hash?kb=N is crypto's SHA-256 (OpenSSL, synchronous: on the
 * loop thread, or the worker's) of the first N KiB of the /bytes pattern.
 *
 * "N µs of CPU work" is a fixed amount of JavaScript computation (iterations
 * per µs of CPU time), as the C kernel is: the same work whatever else the
 * process is doing. bin/bench measures the figure once a run (--mode
 * calibrate) and gives it with --cpu-calibration to every server, whose
 * cluster workers get the same argv; a server given none calibrates itself.
 * Once listening, the port is written to --ready-fd as "PORT\n" (bin/bench's
 * protocol) and printed as "listening on 127.0.0.1:PORT".
 */
const http = require('http');
const cluster = require('cluster');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const { Worker, isMainThread, parentPort } = require('worker_threads');

const MAX_IO_MS = 60000;
const MAX_CPU_US = 10000000;
const MAX_BYTES = 64 * 1024 * 1024;
const MAX_WORK_N = 1000000000;
const MAX_HASH_KB = 65536;
const PATTERN = Buffer.from('abcdefghijklmnopqrstuvwxyz'.repeat(2520));

function work(iterations) {
    let x = 0x9e3779b9 | 0;
    for (let i = 0; i < iterations; i++) {
        x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
        x = (x + i) | 0;
    }
    return x;
}

/* Iterations per µs of this process's CPU time, the best of `rounds` 20 ms
 * rounds, and the spread: how far the median round fell short of the best
 * (0.05: 5%), so a caller can tell a steady calibration from a noisy one. */
function calibrate(rounds = 7) {
    const figures = [];
    let n = 100000;
    for (let round = 0; round < rounds; round++) {
        for (;;) {
            const start = process.cpuUsage();
            work(n);
            const used = process.cpuUsage(start);
            const us = used.user + used.system;
            if (us >= 20000) {
                figures.push(n / us);
                break;
            }
            n *= 2;
        }
    }
    figures.sort((a, b) => a - b);
    const best = figures[figures.length - 1];
    return { best, spread: 1 - figures[Math.floor(figures.length / 2)] / best };
}

/* The first n bytes of the /bytes pattern, from a buffer grown on demand
 * and kept, so /hash costs the digest and not a copy. */
let hashBuffer = Buffer.alloc(0);
function patternBytes(n) {
    if (hashBuffer.length < n) {
        hashBuffer = Buffer.alloc(n);
        for (let at = 0; at < n; at += PATTERN.length) PATTERN.copy(hashBuffer, at, 0, Math.min(PATTERN.length, n - at));
    }
    return hashBuffer.subarray(0, n);
}

/* The body of /work or /hash: the work it names, done now on this thread. */
function compute(job) {
    if (job.kind === 'work') return String(work(job.n) >>> 0);
    return crypto.createHash('sha256').update(patternBytes(job.kb * 1024)).digest('hex');
}

if (!isMainThread) {
    /* A pool thread: runs the work it is sent, answers with its job id and body. */
    parentPort.on('message', (job) => {
        work(job.iterations);
        parentPort.postMessage({ id: job.id, body: job.compute ? compute(job.compute) : undefined });
    });
    return;
}

function parseArgs(argv) {
    const opts = { mode: 'plain', workers: os.cpus().length, pool: 4, port: 0, readyFd: -1, calibration: 0 };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        const number = Number(value);
        if (flag === '--mode' && ['plain', 'cluster', 'workers', 'calibrate'].includes(value)) opts.mode = value;
        else if (flag === '--cpu-calibration' && number > 0 && number < 1e6) opts.calibration = number;
        else if (flag === '--workers' && number >= 1) opts.workers = number;
        else if (flag === '--pool' && number >= 1) opts.pool = number;
        else if (flag === '--port' && number >= 0) opts.port = number;
        else if (flag === '--ready-fd' && number >= 0) opts.readyFd = number;
        else {
            process.stderr.write(`server.js: bad flag or value: ${flag} ${value ?? ''}\n`);
            process.exit(2);
        }
        i++;
    }
    return opts;
}

/* A whole decimal number from 0 to max, or null (as query_uint in handlers.c). */
function queryUint(params, name, max) {
    const value = params.get(name);
    if (value === null || !/^[0-9]{1,20}$/.test(value)) return null;
    const n = Number(value);
    return n <= max ? n : null;
}

/* What a request asks for: status, type, body, CPU µs and wait ms; for
 * /work and /hash, the work (compute) whose result is the body. */
function route(target) {
    const question = target.indexOf('?');
    const path = question < 0 ? target : target.slice(0, question);
    const params = new URLSearchParams(question < 0 ? '' : target.slice(question + 1));
    const ok = (extra) => Object.assign({ status: 200, type: 'text/plain', body: 'OK', cpuUs: 0, ioMs: 0 }, extra);
    const bad = (reason) => ({ status: 400, type: 'text/plain', body: reason, cpuUs: 0, ioMs: 0 });
    if (path === '/hello') return ok({ body: 'Hello, World!' });
    if (path === '/json') return ok({ type: 'application/json', body: '{"message":"Hello, World!"}' });
    if (path === '/io') {
        const ms = queryUint(params, 'ms', MAX_IO_MS);
        return ms === null ? bad('ms must be a whole number from 0 to 60000\n') : ok({ ioMs: ms });
    }
    if (path === '/cpu') {
        const us = queryUint(params, 'us', MAX_CPU_US);
        return us === null ? bad('us must be a whole number from 0 to 10000000\n') : ok({ cpuUs: us });
    }
    if (path === '/mixed') {
        const a = queryUint(params, 'cpu_us', MAX_CPU_US);
        if (a === null) return bad('cpu_us must be a whole number from 0 to 10000000\n');
        const b = queryUint(params, 'io_ms', MAX_IO_MS);
        if (b === null) return bad('io_ms must be a whole number from 0 to 60000\n');
        return ok({ cpuUs: a, ioMs: b });
    }
    if (path === '/work') {
        const n = queryUint(params, 'n', MAX_WORK_N);
        return n === null ? bad('n must be a whole number from 0 to 1000000000\n') : ok({ compute: { kind: 'work', n } });
    }
    if (path === '/hash') {
        const kb = queryUint(params, 'kb', MAX_HASH_KB);
        return kb === null ? bad('kb must be a whole number from 0 to 65536\n') : ok({ compute: { kind: 'hash', kb } });
    }
    if (path === '/bytes') {
        const n = queryUint(params, 'n', MAX_BYTES);
        if (n === null) return bad('n must be a whole number from 0 to 67108864\n');
        const body = Buffer.alloc(n);
        for (let at = 0; at < n; at += PATTERN.length) PATTERN.copy(body, at, 0, Math.min(PATTERN.length, n - at));
        return ok({ type: 'application/octet-stream', body });
    }
    return { status: 404, type: 'text/plain', body: 'Not Found\n', cpuUs: 0, ioMs: 0 };
}

/* The pool of --mode workers: one FIFO queue, a job per CPU-bound request. */
function makePool(size, iterationsPerUs) {
    const idle = [];
    const queue = [];
    const pending = new Map();
    let nextId = 0;
    const dispatch = () => {
        while (idle.length > 0 && queue.length > 0) {
            const job = queue.shift();
            idle.pop().postMessage(job);
        }
    };
    for (let i = 0; i < size; i++) {
        const worker = new Worker(__filename);
        worker.on('message', ({ id, body }) => {
            const done = pending.get(id);
            pending.delete(id);
            idle.push(worker);
            dispatch();
            done(body);
        });
        idle.push(worker);
    }
    return (r, done) => {
        const id = nextId++;
        pending.set(id, done);
        queue.push({ id, iterations: Math.round(r.cpuUs * iterationsPerUs), compute: r.compute });
        dispatch();
    };
}

function serve(opts, onListening) {
    const iterationsPerUs = opts.calibration || calibrate().best;
    const offload = opts.mode === 'workers' ? makePool(opts.pool, iterationsPerUs) : null;
    const server = http.createServer((req, res) => {
        const r = route(req.url);
        const reply = () => {
            res.writeHead(r.status, { 'Content-Type': r.type, 'Content-Length': Buffer.byteLength(r.body) });
            res.end(req.method === 'HEAD' ? undefined : r.body);
        };
        const wait = (body) => {
            if (body !== undefined) r.body = body;
            if (r.ioMs > 0) setTimeout(reply, r.ioMs);
            else reply();
        };
        if (r.cpuUs === 0 && !r.compute) wait();
        else if (offload) offload(r, wait);
        else {
            work(Math.round(r.cpuUs * iterationsPerUs));
            wait(r.compute ? compute(r.compute) : undefined);
        }
    });
    server.listen(opts.port, '127.0.0.1', () => onListening(server.address().port, iterationsPerUs));
    process.on('SIGTERM', () => {
        server.close(() => process.exit(0));
        server.closeIdleConnections();
        setTimeout(() => process.exit(0), 3000).unref();
    });
}

function announce(opts, port) {
    if (opts.readyFd >= 0) fs.writeSync(opts.readyFd, `${port}\n`);
    process.stdout.write(`listening on 127.0.0.1:${port}\n`);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.mode === 'calibrate') {
    const { best, spread } = calibrate();
    process.stdout.write(`${best.toFixed(3)} ${spread.toFixed(4)} node ${process.version.replace(/^v/, '')}\n`);
} else if (opts.mode !== 'cluster') {
    serve(opts, (port, ipu) => {
        const how = opts.calibration ? 'given' : 'measured';
        process.stderr.write(`server.js: node ${process.version}, ${opts.mode}, cpu work ${ipu.toFixed(1)} iterations/us (${how})\n`);
        announce(opts, port);
    });
} else if (cluster.isPrimary) {
    /* Workers listen on the port the first one got (listen(0) in a cluster
     * worker shares one handle), and say so; the primary announces once
     * every worker is listening. */
    let listening = 0;
    let stopping = false;
    const forkWorker = () => {
        const worker = cluster.fork();
        worker.on('message', (msg) => {
            if (msg.port && ++listening === opts.workers) announce(opts, msg.port);
        });
    };
    for (let i = 0; i < opts.workers; i++) forkWorker();
    cluster.on('exit', () => {
        if (!stopping) forkWorker(); /* as PM2 or a supervising primary does */
        else if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
    process.on('SIGTERM', () => {
        stopping = true;
        for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
        setTimeout(() => process.exit(0), 4000).unref();
    });
    process.stderr.write(`server.js: node ${process.version}, cluster of ${opts.workers}, scheduling ${cluster.schedulingPolicy === cluster.SCHED_RR ? 'rr' : 'none'}\n`);
} else {
    serve(opts, (port, ipu) => {
        const how = opts.calibration ? 'given' : 'measured';
        process.stderr.write(`server.js: cluster worker ${process.pid}, cpu work ${ipu.toFixed(1)} iterations/us (${how})\n`);
        process.send({ port });
    });
}
