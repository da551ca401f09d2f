"""Where a webhook may send: never inside the service's own network unless an admin
listed the host in `[delivery] allowed_hosts`.

A webhook URL is typed by an admin, and the outbox then POSTs to it and reports how it
went: without these checks it would probe loopback ports, the cloud metadata address
or the intranet for whoever can add a webhook. The URL is checked when the webhook is
added (its host written as an address, in any notation a resolver accepts) and again
before each send, after resolving the name (a name can be re-pointed at any time); the
send then connects to the address that was checked, never to a second answer."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Iterable, Union
from urllib.parse import urlsplit

Address = Union[IPv4Address, IPv6Address]

NAT64 = IPv6Network("64:ff9b::/96")


class RefusedTarget(ValueError):
    """A webhook URL the service will not send to; str() says why, in both languages."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL in parts: what to connect to and what to ask for."""

    scheme: str
    host: str  # lower case, ASCII (IDNA), without brackets or a trailing dot
    port: int
    path: str  # the path and query, at least "/"


class AllowedHosts:
    """`[delivery] allowed_hosts`: host names (any address they resolve to is allowed),
    addresses and networks (`10.1.2.3`, `10.20.0.0/16`, `fd00::/8`)."""

    def __init__(self, entries: Iterable[str] = ()):
        self.names: set[str] = set()
        self.networks = []
        for entry in entries:
            try:
                self.networks.append(ip_network(entry.strip(), strict=False))
            except ValueError:
                self.names.add(_ascii_host(entry.strip().lower().rstrip(".")))

    def allows(self, host: str, address: Address | None) -> bool:
        if host in self.names:
            return True
        if address is None:
            return False
        forms = [address]
        if isinstance(address, IPv6Address) and address.ipv4_mapped:
            forms.append(address.ipv4_mapped)  # ::ffff:10.1.2.3 is 10.1.2.3
        return any(form.version == net.version and form in net for form in forms for net in self.networks)


def is_internal(address: Address) -> bool:
    """Loopback, private, link-local, shared, multicast, reserved, unspecified or
    documentation addresses: anything not plainly on the public internet. An IPv6 address
    that carries an IPv4 one (mapped, 6to4, NAT64) is judged by the IPv4 address."""
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_internal(embedded)
    return (not address.is_global or address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)


def check_url(url: str, allowed: AllowedHosts) -> Target:
    """The parts of a webhook URL, or RefusedTarget: not http(s), a user name or password
    in it, no host, an invalid port, or a host that is an internal address or `localhost`
    (unless allowed). A host name is not resolved here: `resolve` does that at each send."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise RefusedTarget("地址或端口无效 / not a valid URL or port") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("须为 http(s) 地址 / must be an http(s) URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RefusedTarget("地址中不得含用户名或密码 / must not carry a user name or password")
    if not parts.hostname:
        raise RefusedTarget("缺少主机名 / has no host")
    host = parts.hostname.rstrip(".")
    if ":" in host:  # an IPv6 literal; a zone (fe80::1%eth0) only ever names a link-local address
        try:
            address: Address | None = ip_address(host.split("%")[0])
        except ValueError:
            raise RefusedTarget("主机地址无效 / not a valid host address") from None
    else:
        host = _ascii_host(host)
        address = ipv4_literal(host)
    if port == 0:
        raise RefusedTarget("地址或端口无效 / not a valid URL or port")
    target = Target(parts.scheme, host, port if port is not None else (443 if parts.scheme == "https" else 80),
                    (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    local_name = host == "localhost" or host.endswith(".localhost")  # RFC 6761: always loopback
    if ((address is not None and is_internal(address)) or local_name) and not allowed.allows(host, address):
        raise refused_internal()
    return target


def resolve(target: Target, allowed: AllowedHosts) -> list[Address]:
    """The addresses to connect to for `target`, as its name resolves now: those that
    are public or allowed, in the resolver's order. RefusedTarget when there is none."""
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedTarget(f"无法解析主机名 / cannot resolve {target.host}") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses and (not is_internal(address) or allowed.allows(target.host, address)):
            addresses.append(address)
    if not addresses:
        raise refused_internal()
    return addresses


def refused_internal() -> RefusedTarget:
    return RefusedTarget("不得指向本机、内网或保留地址（除非列入 [delivery] allowed_hosts）/ must not point at a "
                         "loopback, private, link-local or reserved address (unless listed in [delivery] allowed_hosts)")


def _ascii_host(host: str) -> str:
    """The name as the resolver will see it (IDNA: "１２７。０。０。１" is 127.0.0.1)."""
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        name = ""
    if not re.fullmatch(r"[a-z0-9_.-]+", name, re.ASCII):
        raise RefusedTarget("主机名无效 / not a valid host name")
    return name


_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+", re.ASCII)


def ipv4_literal(host: str) -> IPv4Address | None:
    """The IPv4 address a host names by itself in any form inet_aton (and so the
    resolver) reads: 127.0.0.1, 127.1, 2130706433, 0x7f000001, 0177.0.0.1. None for a
    name; RefusedTarget for what ends like a number but is no address (a top-level
    domain is never numeric, so it would only reach a resolver's own reading)."""
    parts = host.split(".")
    if not _NUMBER.fullmatch(parts[-1]):
        return None
    if len(parts) > 4:
        raise RefusedTarget("主机地址无效 / not a valid host address")
    numbers = [_ipv4_part(part) for part in parts]
    *leading, last = numbers
    if None in numbers or any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        raise RefusedTarget("主机地址无效 / not a valid host address")
    value = last
    for position, number in enumerate(leading):
        value |= number << (8 * (3 - position))
    return IPv4Address(value)


def _ipv4_part(part: str) -> int | None:
    if re.fullmatch(r"0[xX][0-9a-fA-F]*", part, re.ASCII):
        return int(part[2:] or "0", 16)
    if re.fullmatch(r"0[0-7]*", part, re.ASCII):
        return int(part, 8)
    if re.fullmatch(r"[1-9][0-9]*", part, re.ASCII):
        return int(part)
    return None
