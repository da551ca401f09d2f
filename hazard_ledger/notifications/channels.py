"""The external channels: e-mail over SMTP and webhooks (a generic signed JSON POST,
the DingTalk and WeCom group robots). Each `send_*` raises ChannelError on failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Any, Mapping


class ChannelError(Exception):
    """A send that did not go through; str() says why, for the admins' list."""


def send_email(smtp: Mapping[str, Any], *, to: str, subject: str, body: str, delivery_id: int,
               timeout: float) -> None:
    message = EmailMessage()
    message["From"] = smtp["sender"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # the delivery id names the message: a receiver can drop a repeat of it
    message["Message-ID"] = make_msgid(idstring=f"delivery-{delivery_id}", domain="hazard-ledger")
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
                 delivery_id: int, timeout: float) -> None:
    payload = json.dumps(webhook_payload(kind, subject=subject, body=body, data=data, delivery_id=delivery_id),
                         ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": f"delivery-{delivery_id}",
               "User-Agent": "hazard-ledger"}
    if kind == "dingtalk" and secret:
        url = dingtalk_signed_url(url, secret)
    elif kind == "generic" and secret:
        headers["X-Hazard-Ledger-Signature"] = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as error:
        raise ChannelError(f"{kind} webhook answered HTTP {error.code}") from None
    except (OSError, ValueError) as error:
        raise ChannelError(f"{kind} webhook unreachable: {error}") from None
    if kind in ("dingtalk", "wecom"):
        # the robots answer 200 with {"errcode": N, "errmsg": ...}; only 0 is success
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            raise ChannelError(f"{kind} webhook answered something that is not JSON") from None
        if result.get("errcode", 0) != 0:
            raise ChannelError(f"{kind} webhook refused: {result.get('errcode')} {result.get('errmsg', '')}")
