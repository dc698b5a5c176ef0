"""A real SMTP server for tests and the demo: aiosmtpd on localhost.

Mail the site sends through its MailHost arrives here over SMTP, as it
would at a mail server; ``messages`` holds it parsed, and with a
``directory`` each message is also written there as an ``.eml`` file (the
demo's outbox under ``var/``), and with ``announce`` a line says so.
"""

from aiosmtpd.controller import Controller
from email import message_from_bytes
from email import policy
from pathlib import Path
import threading
import time


class _Handler:
    def __init__(self, catcher):
        self.catcher = catcher

    async def handle_DATA(self, server, session, envelope):
        self.catcher.received(envelope)
        return "250 Message accepted for delivery"


class MailCatcher:
    """Start with ``start()``, stop with ``stop()``; ``host`` and ``port``
    are where the MailHost should send."""

    def __init__(self, directory=None, host="127.0.0.1", port=0, announce=False):
        self.directory = Path(directory) if directory else None
        self.announce = announce
        self.messages = []
        self._lock = threading.Lock()
        # port 0 would make aiosmtpd's own readiness check fail: take a free
        # one first.
        if not port:
            from port_for import select_random

            port = select_random()
        self.controller = Controller(_Handler(self), hostname=host, port=port)
        self.host, self.port = host, port

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def received(self, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            number = len(self.messages)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = self.directory / f"{stamp}-{number:04}.eml"
            path.write_bytes(envelope.content)
            if self.announce:
                print(
                    f"Mail to {message['To']}: {message['Subject']} -> {path}",
                    flush=True,
                )

    def clear(self):
        with self._lock:
            self.messages.clear()

    def to(self, address):
        """The messages sent to ``address``."""
        return [m for m in self.messages if address in (m["To"] or "")]


def configure_mailhost(catcher, sender="board@example.org"):
    """Point the site's mail settings at ``catcher`` (Plone's mailers read
    the registry, not the MailHost's own host and port)."""
    from plone import api

    api.portal.set_registry_record("plone.smtp_host", catcher.host)
    api.portal.set_registry_record("plone.smtp_port", catcher.port)
    api.portal.set_registry_record("plone.email_from_address", sender)
    api.portal.set_registry_record("plone.email_from_name", "Board office")
