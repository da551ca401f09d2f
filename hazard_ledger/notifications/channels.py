"""The external channels: e-mail over SMTP and webhooks (a generic signed JSON POST,
the DingTalk and WeCom group robots). Each `send_*` raises ChannelError on failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import ssl
import time
import urllib.parse
from email.message import EmailMessage
from email.utils import formatdate
from html import escape
from typing import Any, Mapping

from hazard_ledger.notifications.targets import Address, AllowedHosts, RefusedTarget, Target, check_url, resolve


class ChannelError(Exception):
    """A send that did not go through; str() says why, for the admins' list."""


def send_email(smtp: Mapping[str, Any], *, to: str, subject: str, body: str, delivery_id: int, message_id: str,
               timeout: float) -> None:
    """`message_id` is the same at every attempt, so a receiver keeps one copy of a
    message sent again after a crash."""
    message = EmailMessage()
    message["From"] = smtp["sender"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["X-Hazard-Ledger-Delivery"] = str(delivery_id)
    message.set_content(body, charset="utf-8")
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in body.splitlines() if line.strip())
    message.add_alternative(f"<html><body style=\"font-family:sans-serif\">{paragraphs}</body></html>", subtype="html",
                            charset="utf-8")
    mode = smtp.get("tls", "none")
    try:
        if mode == "ssl":
            client = smtplib.SMTP_SSL(smtp["host"], smtp["port"], timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp["host"], smtp["port"], timeout=timeout)
        with client:
            if mode == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.get("username"):
                client.login(smtp["username"], smtp.get("password", ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise ChannelError(f"smtp {smtp['host']}:{smtp['port']}: {error}") from None


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's signed-secret mode: sign = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def webhook_payload(kind: str, *, subject: str, body: str, data: Mapping[str, Any], delivery_id: int) -> dict:
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": f"### {subject}\n\n{body}"}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{subject}**\n{body}"}}
    return {"delivery_id": delivery_id, "subject": subject, "message": body, **data}


def send_webhook(kind: str, url: str, secret: str | None, *, subject: str, body: str, data: Mapping[str, Any],
                 delivery_id: int, timeout: float, allowed_hosts: AllowedHosts) -> None:
    """POST the message to a webhook whose URL and resolved address are checked first
    (targets.py); redirects are not followed, and of the receiver's answer only the
    status code is ever repeated (an error message never carries what it said)."""
    payload = json.dumps(webhook_payload(kind, subject=subject, body=body, data=data, delivery_id=delivery_id),
                         ensure_ascii=False).encode()
    # the same key at every attempt: a receiver can drop a message sent again after a crash
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": f"delivery-{delivery_id}",
               "User-Agent": "hazard-ledger"}
    if kind == "dingtalk" and secret:
        url = dingtalk_signed_url(url, secret)
    elif kind == "generic" and secret:
        headers["X-Hazard-Ledger-Signature"] = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    try:
        target = check_url(url, allowed_hosts)
        addresses = resolve(target, allowed_hosts)
    except RefusedTarget as refusal:
        raise ChannelError(f"{kind} webhook not sent: {refusal}") from None
    try:
        status, answer = _post(target, addresses, payload, headers, timeout)
    except http.client.HTTPException:  # before OSError: RemoteDisconnected is both
        raise ChannelError(f"{kind} webhook did not answer in HTTP") from None
    except OSError as error:
        raise ChannelError(f"{kind} webhook unreachable: {_reason(error)}") from None
    if 300 <= status < 400:
        raise ChannelError(f"{kind} webhook answered HTTP {status} (redirects are not followed)")
    if not 200 <= status < 300:
        raise ChannelError(f"{kind} webhook answered HTTP {status}")
    if kind in ("dingtalk", "wecom"):
        # the robots answer 200 with {"errcode": N, "errmsg": ...}; only 0 is success
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            raise ChannelError(f"{kind} webhook answered HTTP {status} with something that is not JSON") from None
        if not isinstance(result, dict) or result.get("errcode", 0) != 0:
            raise ChannelError(f"{kind} webhook answered HTTP {status} but refused the message (errcode not 0)")


def _reason(error: OSError) -> str:
    """Why a connection failed, in our words (never text the other side sent)."""
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or 'handshake failed'}"
    return error.strerror or type(error).__name__


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to `host` (its Host header; its SNI name over TLS) at an address checked
    before: letting the connection resolve the name again would let a name re-pointed in
    between (DNS rebinding) reach an address that was never checked."""

    def __init__(self, target: Target, address: Address, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTLSConnection(_PinnedConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def _connect(target: Target, addresses: list[Address], timeout: float) -> _PinnedConnection:
    """A connection to the first of the checked `addresses` that accepts one."""
    kind = _PinnedTLSConnection if target.scheme == "https" else _PinnedConnection
    for address in addresses[:-1]:
        connection = kind(target, address, timeout)
        try:
            connection.connect()
            return connection
        except OSError:
            connection.close()
    connection = kind(target, addresses[-1], timeout)
    connection.connect()
    return connection


def _post(target: Target, addresses: list[Address], payload: bytes, headers: Mapping[str, str],
          timeout: float) -> tuple[int, bytes]:
    """(status, the first 64 KiB of the body). Once the request has gone to one address it
    is never tried at another: that would send the message twice."""
    connection = _connect(target, addresses, timeout)
    try:
        connection.request("POST", target.path, body=payload, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read(65536)
    finally:
        connection.close()
