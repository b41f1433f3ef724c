"""gunicorn_conf.py — tells bin/bench which port gunicorn bound (--bind 127.0.0.1:0).

Gunicorn's other settings stay at its defaults (timeout 30, keepalive 2,
backlog 2048): the point is to measure gunicorn as people run it.
"""
import os
import sys


def when_ready(server):
    port = server.LISTENERS[0].sock.getsockname()[1]
    fd = int(os.environ.get("SHOWDOWN_READY_FD", "-1"))
    if fd >= 0:
        os.write(fd, f"{port}\n".encode())
        os.close(fd)  # the workers forked later must not hold bin/bench's pipe open
    print(f"listening on 127.0.0.1:{port}", flush=True)


def post_worker_init(worker):
    import peer  # imported by the app already: this reads its calibration
    how = "given" if peer.given_calibration() else "measured"
    print(f"peer.py: gunicorn worker {worker.pid}, cpu work {peer.ITERATIONS_PER_US:.1f} "
          f"iterations/us ({how})", file=sys.stderr, flush=True)
