"""peer.py — the real CPython beside showdown's Python models.

The same endpoints and bodies as servers/handlers.c, served by the stacks the
models are named after, from Debian's packages (/usr/bin/python3,
python3-flask, python3-gunicorn, python3-uvicorn):

  peer.py threads           http.server.ThreadingHTTPServer (real-python-threads)
  peer.py uvicorn           an ASGI app under uvicorn, one process (real-uvicorn)
  peer.py gunicorn-sync     Flask under gunicorn's sync worker (real-gunicorn-sync)
  peer.py gunicorn-gthread  Flask under gunicorn's gthread worker (real-gunicorn-gthread)
  peer.py uvicorn-workers   the ASGI app under gunicorn -k uvicorn.workers.UvicornWorker
          [--workers N] [--threads N] [--ready-fd FD] [--cpu-calibration X]
          [--keep-alive]    threads: HTTP/1.1 keep-alive (default: the stock HTTP/1.0)
  peer.py calibrate         prints this machine's figure for the CPU work

Every server listens on 127.0.0.1, port 0; once bound, the port is written to
--ready-fd as "PORT\\n" (bin/bench's protocol) and printed as
"listening on 127.0.0.1:PORT". "N µs of CPU work" is a fixed amount of Python
computation (iterations per µs of thread CPU time), so it holds the real GIL
as real CPU-bound Python does. bin/bench measures the figure once a run
(`peer.py calibrate` prints "ITERATIONS_PER_US SPREAD cpython VERSION") and
gives it to every server with --cpu-calibration; a server given none
calibrates itself (best of seven rounds), as the C kernel does.
"""

import asyncio
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MAX_IO_MS = 60000
MAX_CPU_US = 10000000
MAX_BYTES = 64 * 1024 * 1024
PATTERN = b"abcdefghijklmnopqrstuvwxyz" * 2520
HERE = os.path.dirname(os.path.abspath(__file__))


def work(iterations):
    x = 0x9E3779B9
    for i in range(iterations):
        x = ((x ^ (x >> 15)) * 0x2C1B3C6D + i) & 0xFFFFFFFF
    return x


def calibrate(rounds=7):
    """(iterations per µs of this thread's CPU time, spread): the best of
    `rounds` 20 ms rounds, and how far the median round fell short of the best
    (0.05: 5%), so a caller can tell a steady calibration from a noisy one."""
    figures, n = [], 10000
    for _ in range(rounds):
        while True:
            start = time.thread_time()
            work(n)
            used_us = (time.thread_time() - start) * 1e6
            if used_us >= 20000:
                figures.append(n / used_us)
                break
            n *= 2
    figures.sort()
    best = figures[-1]
    return best, 1.0 - figures[len(figures) // 2] / best


def given_calibration():
    """The calibration bin/bench measured once for this run, or None."""
    value = os.environ.get(CALIBRATION_ENV, "")
    try:
        figure = float(value)
    except ValueError:
        return None
    return figure if 0 < figure < 1e6 else None


# One figure for every process of a run: bin/bench (or a test) measures it
# once and passes --cpu-calibration, which the launcher puts in the
# environment, so every gunicorn worker does the same work for /cpu?us=N
# (two workers calibrating themselves at once came out 40% apart). Without
# it, each serving process measures its own: at import in a gunicorn worker
# (which imports this module), in main() for the modes served here.
CALIBRATION_ENV = "SHOWDOWN_CPU_CALIBRATION"
ITERATIONS_PER_US = (given_calibration() or calibrate()[0]) if __name__ != "__main__" else 0.0


def query_uint(params, name, limit):
    """A whole decimal number from 0 to limit, or None (as query_uint in handlers.c)."""
    values = params.get(name)
    if not values or not values[0].isdigit() or len(values[0]) > 20 or not values[0].isascii():
        return None
    n = int(values[0])
    return n if n <= limit else None


def route(path, query):
    """What a request asks for: (status, content type, body, CPU µs, wait ms)."""
    params = parse_qs(query, keep_blank_values=True)

    def bad(reason):
        return 400, "text/plain", reason.encode(), 0, 0

    if path == "/hello":
        return 200, "text/plain", b"Hello, World!", 0, 0
    if path == "/json":
        return 200, "application/json", b'{"message":"Hello, World!"}', 0, 0
    if path == "/io":
        ms = query_uint(params, "ms", MAX_IO_MS)
        return bad("ms must be a whole number from 0 to 60000\n") if ms is None else (200, "text/plain", b"OK", 0, ms)
    if path == "/cpu":
        us = query_uint(params, "us", MAX_CPU_US)
        return bad("us must be a whole number from 0 to 10000000\n") if us is None else (200, "text/plain", b"OK", us, 0)
    if path == "/mixed":
        a = query_uint(params, "cpu_us", MAX_CPU_US)
        if a is None:
            return bad("cpu_us must be a whole number from 0 to 10000000\n")
        b = query_uint(params, "io_ms", MAX_IO_MS)
        if b is None:
            return bad("io_ms must be a whole number from 0 to 60000\n")
        return 200, "text/plain", b"OK", a, b
    if path == "/bytes":
        n = query_uint(params, "n", MAX_BYTES)
        if n is None:
            return bad("n must be a whole number from 0 to 67108864\n")
        return 200, "application/octet-stream", (PATTERN * (n // len(PATTERN) + 1))[:n], 0, 0
    return 404, "text/plain", b"Not Found\n", 0, 0


def cpu(us):
    if us:
        work(round(us * ITERATIONS_PER_US))


# ---- WSGI: Flask, for gunicorn's sync and gthread workers ----

def create_flask_app():
    from flask import Flask, Response, request

    app = Flask(__name__)

    @app.route("/", defaults={"rest": ""}, methods=["GET", "HEAD", "POST"])
    @app.route("/<path:rest>", methods=["GET", "HEAD", "POST"])
    def any_path(rest):
        status, ctype, body, cpu_us, io_ms = route(request.path, request.query_string.decode("latin-1"))
        cpu(cpu_us)
        if io_ms:
            time.sleep(io_ms / 1000)  # releases the GIL, as a blocking call does
        return Response(body, status=status, headers={"Content-Type": ctype})

    return app


# ---- ASGI: for uvicorn, alone or under gunicorn ----

async def asgi_app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    status, ctype, body, cpu_us, io_ms = route(scope["path"], scope["query_string"].decode("latin-1"))
    cpu(cpu_us)  # synchronous code in an async handler blocks the loop
    if io_ms:
        await asyncio.sleep(io_ms / 1000)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---- http.server.ThreadingHTTPServer ----

class Handler(BaseHTTPRequestHandler):
    # The stock protocol_version, "HTTP/1.0": a connection a request, as the
    # python-threads model. --keep-alive sets "HTTP/1.1" (run_threads), as
    # the model's --keep-alive does.

    def setup(self):
        # As the python-threads model does, and the stdlib does not: without
        # it the headers and the body go out in two sends, and every
        # keep-alive response waits ~40 ms on Nagle and the client's delayed
        # ACK (measured here: p50 64 ms for a 20 ms /io wait), which would
        # swamp the GIL's shape that this peer is here to show.
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        status, ctype, body, cpu_us, io_ms = route(path, query)
        cpu(cpu_us)
        if io_ms:
            time.sleep(io_ms / 1000)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET
    do_POST = do_GET

    def log_message(self, format, *args):
        pass


def announce(port, ready_fd):
    if ready_fd >= 0:
        os.write(ready_fd, f"{port}\n".encode())
    print(f"listening on 127.0.0.1:{port}", flush=True)


def run_threads(ready_fd, keep_alive):
    if keep_alive:
        Handler.protocol_version = "HTTP/1.1"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # request_queue_size 5, as the stdlib
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    announce(server.server_address[1], ready_fd)
    server.serve_forever()


def run_uvicorn(ready_fd):
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # uvicorn's backlog
    config = uvicorn.Config(asgi_app, log_level="warning", timeout_keep_alive=5, lifespan="off")
    announce(sock.getsockname()[1], ready_fd)
    uvicorn.Server(config).run(sockets=[sock])


def run_gunicorn(kind, workers, threads, ready_fd):
    # -B: gunicorn imports wsgi and peer from HERE, which may be an installed
    # share/showdown/peers; no __pycache__ there (make uninstall removes only what it put).
    argv = [sys.executable, "-B", "-m", "gunicorn", "--config", os.path.join(HERE, "gunicorn_conf.py"),
            "--chdir", HERE, "--bind", "127.0.0.1:0", "--workers", str(workers), "--log-level", "warning"]
    if kind == "gunicorn-sync":
        argv += ["--worker-class", "sync", "wsgi:app"]
    elif kind == "gunicorn-gthread":
        argv += ["--worker-class", "gthread", "--threads", str(threads), "wsgi:app"]
    else:
        argv += ["--worker-class", "uvicorn.workers.UvicornWorker", "peer:asgi_app"]
    os.environ["SHOWDOWN_READY_FD"] = str(ready_fd)
    os.execv(sys.executable, argv)


def parse_options(rest):
    """--workers N, --threads N, --ready-fd FD, --cpu-calibration X, --keep-alive (threads)."""
    options = {"--workers": os.cpu_count(), "--threads": 8, "--ready-fd": -1, "--cpu-calibration": None,
               "--keep-alive": "--keep-alive" in rest}
    rest = [arg for arg in rest if arg != "--keep-alive"]
    if len(rest) % 2:
        sys.exit(f"peer.py: {rest[-1]} needs a value")
    for flag, value in zip(rest[::2], rest[1::2]):
        if flag == "--cpu-calibration":
            os.environ[CALIBRATION_ENV] = value
            options[flag] = given_calibration()
            if options[flag] is None:
                sys.exit(f"peer.py: --cpu-calibration: expected iterations per µs, e.g. 12.5, not {value}")
        elif flag in options and value.isdigit():
            options[flag] = int(value)
        else:
            sys.exit(f"peer.py: bad flag or value: {flag} {value}")
    return options


def main(args):
    global ITERATIONS_PER_US
    modes = ("threads", "uvicorn", "gunicorn-sync", "gunicorn-gthread", "uvicorn-workers", "calibrate")
    if not args or args[0] not in modes:
        sys.exit(f"usage: peer.py {{{'|'.join(modes)}}} [--workers N] [--threads N] [--ready-fd FD] "
                 "[--cpu-calibration X] [--keep-alive]")
    mode, options = args[0], parse_options(args[1:])
    if mode == "calibrate":
        best, spread = calibrate()
        print(f"{best:.3f} {spread:.4f} cpython {sys.version.split()[0]}", flush=True)
        return
    if mode in ("threads", "uvicorn"):
        given = options["--cpu-calibration"]
        ITERATIONS_PER_US = given or calibrate()[0]
        print(f"peer.py: CPython {sys.version.split()[0]}, {mode}, cpu work {ITERATIONS_PER_US:.1f} "
              f"iterations/us ({'given' if given else 'measured'})", file=sys.stderr, flush=True)
    if mode == "threads":
        run_threads(options["--ready-fd"], options["--keep-alive"])
    elif mode == "uvicorn":
        run_uvicorn(options["--ready-fd"])
    else:
        run_gunicorn(mode, options["--workers"], options["--threads"], options["--ready-fd"])


if __name__ == "__main__":
    main(sys.argv[1:])
