"""The delivery tests' own SMTP server (notifications/tests/support.py): a
server that is down for a test stays down — its port is not handed to the
next server started, which would answer in its place."""

from __future__ import annotations

import socket

import pytest

from .support import SmtpServer


def test_a_stopped_servers_port_is_not_given_to_the_next_server():
    first = SmtpServer().start()
    first.stop()
    second = SmtpServer().start()
    try:
        assert second.port != first.port
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", first.port), timeout=1).close()
        first.start()  # back up on its own port, as the outage tests bring it back
        socket.create_connection(("127.0.0.1", first.port), timeout=1).close()
    finally:
        second.stop()
        first.stop()
