"""The production server's worker (``make serve``, deploy/gunicorn.conf.py):
gunicorn runs the processes, waitress reads the requests.

gunicorn's own workers give a connection to the application as soon as its
headers are in, so a phone that sends its ballot slowly holds a sync worker,
or a gthread thread, until its last byte: on venue Wi-Fi a few such phones
stall everyone (README §Deployment has the figures). Here each gunicorn
worker runs waitress's HTTP channel instead: one thread multiplexes every
connection, buffers each request whole (never more than the app's
MAX_CONTENT_LENGTH) and only then hands it to one of ``threads`` application
threads, and it writes replies out of a buffer (up to 16 MiB), so a slow
reader holds no thread either. A connection idle for ``keepalive`` seconds, in the middle of
a request or between two, is closed.

gunicorn keeps what it is good at: pre-forked processes sharing one
listening socket (the ballot's proofs are checked in Python, so more than
one core helps), the heartbeat that replaces a wedged process, graceful
stops and restarts (TERM, HUP). Its settings keep their meaning:

========================  =====================================================
``workers``               processes
``threads``               application threads per process
``worker_connections``    open connections per process (waitress's limit)
``keepalive``             seconds a connection may stay silent, then closed
``timeout``               a request running longer stops its process: it
                          finishes the others (``graceful_timeout``) and is
                          replaced
``backlog``               the listening socket's queue
========================  =====================================================

Only its access log is not kept: the README says what to log, and where.
"""

from __future__ import annotations

import logging
import os
import resource
import threading
import time

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.server import create_server

#: Loop tick (s): the heartbeat and the checks below run this often.
TICK = 1.0
#: A stopping process still reads for this long (s): a request may be on
#: its way on a connection it has just accepted or kept alive.
STOP_LINGER = 1.0
#: Used when the app does not name its MAX_CONTENT_LENGTH.
DEFAULT_MAX_BODY = 1024 * 1024


class RunningRequests:
    """WSGI middleware: when each application call now running began."""

    def __init__(self, app):
        self.app = app
        self._started: dict[int, float] = {}
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        key = threading.get_ident()
        with self._lock:
            self._started[key] = time.monotonic()
        try:
            return self.app(environ, start_response)
        finally:
            with self._lock:
                del self._started[key]

    def longest(self) -> float:
        """Seconds the oldest running call has taken so far (0: none)."""
        with self._lock:
            oldest = min(self._started.values(), default=None)
        return 0.0 if oldest is None else time.monotonic() - oldest


class WaitressWorker(Worker):
    """A gunicorn worker whose HTTP/1.1 front is waitress's channel."""

    def init_process(self):
        _raise_file_limit(self.cfg.worker_connections + 64)
        waitress_log = logging.getLogger("waitress")
        waitress_log.handlers = self.log.error_log.handlers
        waitress_log.setLevel(self.log.error_log.level)
        waitress_log.propagate = False
        super().init_process()  # loads the app, then calls run()

    def run(self):
        self.running = RunningRequests(self.wsgi)
        self.map: dict = {}
        servers = create_server(self.running, map=self.map, **self.adjustments())
        self.listeners = [d for d in self.map.values() if isinstance(d, BaseWSGIServer)]
        while self.alive and self._healthy():
            self.notify()
            wasyncore.loop(timeout=TICK, use_poll=True, map=self.map, count=1)
        self._stop(servers)

    def adjustments(self) -> dict:
        """waitress's settings, from gunicorn's (module docstring)."""
        cfg = self.cfg
        max_body = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BODY
        return {
            "sockets": [listener.sock for listener in self.sockets],
            "threads": cfg.threads,
            "connection_limit": cfg.worker_connections,
            "channel_timeout": cfg.keepalive,
            # Idle connections are looked for this often: one idle for
            # ``keepalive`` s is closed within a sixth of that again.
            "cleanup_interval": max(1, cfg.keepalive // 6),
            "backlog": cfg.backlog,
            # waitress refuses a body of ``max_request_body_size`` bytes or
            # more, by its Content-Length and before reading it: one byte
            # over what the app accepts, so the app answers the rest.
            "max_request_body_size": max_body + 1,
            # poll(), not select(): no limit at file descriptor 1024.
            "asyncore_use_poll": True,
            # X-Forwarded-* are the app's to trust or not (VOTING_PROXIES);
            # waitress 3 would otherwise delete them before the app sees them.
            "clear_untrusted_proxy_headers": False,
        }

    def _healthy(self) -> bool:
        if self.ppid != os.getppid():
            self.log.info("Parent changed, shutting down: %s", self)
            return False
        seconds = self.running.longest()
        if seconds > self.cfg.timeout:
            self.log.critical("A request has run for %.0f s (timeout %s s): this worker "
                              "stops and is replaced", seconds, self.cfg.timeout)
            return False
        return True

    def _stop(self, servers) -> None:
        """Accept nothing more; finish the requests begun and the replies
        not yet sent, for ``graceful_timeout`` s at most."""
        for listener in self.listeners:
            listener.accepting = False
        now = time.monotonic()
        linger, deadline = now + STOP_LINGER, now + self.cfg.graceful_timeout
        while (now < linger or _busy(self.map)) and now < deadline:
            self.notify()
            wasyncore.loop(timeout=TICK / 10, use_poll=True, map=self.map, count=1)
            now = time.monotonic()
        servers.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self.map)


def _busy(socket_map: dict) -> bool:
    """Whether a connection has a request begun, running, or still to send."""
    return any(isinstance(d, HTTPChannel)
               and (d.request is not None or d.requests or d.total_outbufs_len)
               for d in list(socket_map.values()))


def _raise_file_limit(needed: int) -> None:
    """Each connection is a file descriptor: lift the soft limit to at least
    ``needed`` (within the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
