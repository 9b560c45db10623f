"""Persistent database connections: a request after they were terminated still succeeds."""

import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import psycopg2
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class OneThreadServer:
    """The project's WSGI application served from one thread, as a gunicorn sync worker serves
    it: the thread keeps its database connection from one request to the next, and Django's
    handler runs its request-start and request-end connection housekeeping (the test Client
    skips both)."""

    def __init__(self):
        self.httpd = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        try:
            self.httpd.serve_forever(poll_interval=0.05)
        finally:
            connections.close_all()  # this thread's connection, before the test database goes

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.thread.join(timeout=10)
        self.httpd.server_close()


@pytest.fixture
def admin_sql():
    """A psycopg2 connection of its own, outside Django, to watch and kill the server's."""
    params = connection.get_connection_params()
    own = psycopg2.connect(**params)
    own.autocommit = True
    yield own
    own.close()


def server_backends(admin_sql) -> list[int]:
    """Return the PostgreSQL backends on the test database other than this test's own two."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (test_pid,) = cursor.fetchone()
    with admin_sql.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid NOT IN (pg_backend_pid(), %s)",
            [test_pid],
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_request_after_connections_were_terminated_succeeds(admin_sql):
    with OneThreadServer() as server:
        assert server.get("/") == 200
        persistent = server_backends(admin_sql)
        # The settings keep connections between requests (CONN_MAX_AGE > 0); without that
        # there would be no connection to kill and nothing to test.
        assert len(persistent) == 1, persistent

        with admin_sql.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [persistent[0]])
            assert cursor.fetchone() == (True,)

        assert server.get("/") == 200
        assert server.get("/") == 200
        assert server_backends(admin_sql) != persistent  # a new connection replaced it
