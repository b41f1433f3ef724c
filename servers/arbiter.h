/*
 * arbiter.h — pre-fork supervision after gunicorn/arbiter.py (arbiter.c;
 * docs/DESIGN.md, "Models"):
 * a process that keeps config->workers copies of the model's engine
 * running on one listening socket.
 */
#ifndef SHOWDOWN_ARBITER_H
#define SHOWDOWN_ARBITER_H

struct server_config;

/*
 * Forks config->workers workers, each running config->model's engine on
 * listen_fd (bound by main, as Gunicorn binds before it forks), announces
 * the port, and supervises them until SIGTERM/SIGINT: a dead worker is
 * replaced, a silent one killed, SIGHUP replaces the whole set. Returns the
 * exit status: 0 once every worker is gone, 2 for a --workers it cannot
 * hold, 1 if it cannot start. With --balance reuseport it closes listen_fd
 * once the workers have sockets of their own. Takes over SIGTERM, SIGINT,
 * SIGHUP and SIGCHLD in this process; called once per process.
 */
int arb_run(const struct server_config *config, int listen_fd);

#endif
