"""gunicorn's configuration for ``make serve`` (and ``make bench``, and
tests/web/test_production_server.py): ``gunicorn -c deploy/gunicorn.conf.py``.

Environment: HOST and PORT (127.0.0.1:8000), WORKERS (2 processes),
THREADS (4 application threads per process). The app's own settings
(VOTING_*) are read by the app: README §Deployment.

Why this worker (voting/serving.py): gunicorn's processes, waitress's HTTP
channel. Measured on this repository's 2-core machine: clients that each
send a cast's headers, then its 2,000-byte body one byte a second, while 20
ordinary requests (GET /, GET /board/, a JSON POST) go one after another,
with 10 s each to be answered:

* ``gunicorn -w 2`` (sync, the old setup), 6 slow clients: the first 10 of
  the 20 unanswered, for 100 s. Each slow body holds a worker until the
  arbiter kills it at ``timeout`` (30 s), and the next two slow clients in
  the queue take the fresh workers.
* ``-w 2 -k gthread --threads 4``: 20 of 20 with 6 slow clients, 10 of 20
  with 12. Each slow body holds a thread for as long as it trickles (33 min
  here), and a client that stops after its headers holds one for good:
  gunicorn's heartbeat comes from the worker's main loop, not its threads.
* this worker, 2 processes: 20 of 20 with 6 slow clients and with 60
  (tests/web/test_production_server.py holds the 6). waitress reads every
  connection in one event loop and gives a thread only a request that has
  fully arrived; slow clients cost a socket each, not a thread.
* gevent was not tried: it needs monkey-patching under psycopg 3 and
  SQLAlchemy's pool, one more compiled dependency, and has no read timeout
  either. Plain waitress buffers as well, but is one process: one core for
  the ballots' proofs, and no supervisor to replace a wedged process.
"""

import os


def _bind() -> str:
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "8000"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{host}:{port}"


wsgi_app = "wsgi:app"
bind = [_bind()]
proc_name = "voting"
#: Signals (TERM, HUP, TTIN/TTOU) are the control interface; a socket in
#: $HOME would be shared by every instance on the machine (tests, bench).
control_socket_disable = True

worker_class = "voting.serving.WaitressWorker"
#: Processes: the ballot's proofs are checked in Python, one core each.
workers = int(os.environ.get("WORKERS") or 2)
#: Application threads per process. They only run the app, on a request
#: that has fully arrived; checking a ballot is Python work under the
#: process's one interpreter lock, so threads share its core rather than add
#: one (``make bench``, p95 over 4 runs each: 189-488 ms with 4 threads,
#: 198-557 ms with 2, the machine's noise). 4 leave room for a slow export
#: or record download beside the casts. Each may hold a database connection.
threads = int(os.environ.get("THREADS") or 4)
#: Open connections per process, idle phones included; the worker lifts
#: the open-files limit to match.
worker_connections = 1000
#: A connection that sends nothing for this many seconds, in the middle of
#: a request (headers or body) or between two, is closed. Slow bodies that
#: keep trickling are not closed: they cost a socket each, not a thread.
#: Proxies in front keep their idle upstream connections shorter than this
#: (deploy/Caddyfile, deploy/nginx.conf), so that they never send a request
#: on a connection this server is closing.
keepalive = 30
#: A request running longer than this stops its process: the others finish
#: (for ``graceful_timeout``), then the arbiter starts a fresh one. A
#: process whose event loop is stuck this long is killed and replaced.
timeout = 60
graceful_timeout = 30
#: Request bodies: never more than the app's MAX_CONTENT_LENGTH (1 MiB),
#: refused by their Content-Length before they are read (voting/serving.py).

#: No access log: this worker keeps none (README, "What the proxy and
#: gunicorn should log"). Errors and warnings go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
