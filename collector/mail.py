"""Sending e-mail with the standard library (smtplib, email.message): the SMTP settings, one connection for a
run's messages, and the queued alert e-mails of the mail log. The password is never logged or shown."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Callable, Mapping

from sqlalchemy import Engine

from . import store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int
    user: str | None
    password: str | None = field(repr=False)
    starttls: bool
    timeout: int
    sender: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SmtpSettings":
        return cls(config["COLLECTOR_SMTP_HOST"], config["COLLECTOR_SMTP_PORT"], config["COLLECTOR_SMTP_USER"],
                   config["COLLECTOR_SMTP_PASSWORD"], config["COLLECTOR_SMTP_STARTTLS"],
                   config["COLLECTOR_SMTP_TIMEOUT_SECONDS"], config["COLLECTOR_MAIL_FROM"])

    @property
    def configured(self) -> bool:
        return bool(self.host)


class MailError(Exception):
    """The SMTP server could not be reached or refused; the message says which and why (never a password)."""


def send_all(smtp: SmtpSettings, messages: list[EmailMessage]) -> list[str | None]:
    """Send each message over one connection; per message None when sent, else why not. A server that
    cannot be reached raises ``MailError``."""
    if not messages:
        return []
    assert smtp.host is not None
    try:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    except OSError as exc:
        raise MailError(f"SMTP {smtp.host}:{smtp.port} not reachable: {exc}") from exc
    results: list[str | None] = []
    try:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context())
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        for message in messages:
            if not message["From"]:
                message["From"] = smtp.sender
            try:
                server.send_message(message)
                results.append(None)
            except smtplib.SMTPException as exc:
                results.append(f"{type(exc).__name__}: {exc}")
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP {smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}") from exc
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return results


def message(to: str, subject: str, text: str, html: str | None = None, sender: str | None = None) -> EmailMessage:
    """A text e-mail with an optional HTML alternative."""
    mail = EmailMessage()
    mail["To"] = to
    mail["Subject"] = subject
    if sender:
        mail["From"] = sender
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail


def send_queued(engine: Engine, smtp: SmtpSettings, build: Callable[[dict], EmailMessage | None],
                max_attempts: int) -> tuple[int, int]:
    """Send the mail log's queued e-mails (built by ``build`` from their row); returns (sent, failed). Each
    attempt is recorded on its row; with no SMTP server set, nothing is tried."""
    if not smtp.configured:
        return 0, 0
    queued = store.queued_mail(engine, max_attempts)
    built = [(row, build(row)) for row in queued]
    ready = [(row, mail) for row, mail in built if mail is not None]
    try:
        results = send_all(smtp, [mail for _row, mail in ready])
    except MailError as exc:
        for row, mail in ready:
            store.mark_mail(engine, row["id"], str(mail["Subject"]), str(exc))
        log.error("mail: %d queued e-mails not sent: %s", len(ready), exc)
        return 0, len(ready)
    for (row, mail), error in zip(ready, results):
        store.mark_mail(engine, row["id"], str(mail["Subject"]), error)
    failed = sum(1 for e in results if e)
    log.info("mail: %d sent, %d failed", len(results) - failed, failed)
    return len(results) - failed, failed
