"""One HTTP request to a merchant's server (a webhook receiver or a ``notificationUrl``), bounded.

Any API key can aim the sandbox's outbound requests anywhere, so each one is held to the same
bounds, whoever receives it:

- one deadline for the whole attempt: connecting, sending, a digest challenge and the request
  that answers it, the answer's head and body. A receiver that drips a byte a second costs its
  attempt's deadline, not hours;
- at most ``cap`` bytes of any answer body are read, a challenge's included, and at most
  ``HEAD_CAP`` bytes of a head;
- strict parsing (h11): a status line or head cut short by a closed connection is no answer,
  never a 200;
- where a request may go (``TargetPolicy``): the host is resolved once, every address it gives is
  checked, and the connection goes to the address that was checked, so a name cannot change its
  answer between the check and the connection.

Redirects are never followed (a 3xx is the answer) and no proxy is used.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import parse_http_list, parse_keqv_list

import h11

__all__ = ("TargetPolicy", "Refused", "NotAnswered", "Answer", "send", "HEAD_CAP",
           "FORBIDDEN_HEADERS", "METADATA_ADDRESSES")

#: The most of an answer's status line and headers read.
HEAD_CAP = 16 * 1024
_CHUNK = 8192

#: Headers the sender owns: a webhook's own headers may not set them (the ``Host`` a request
#: carries is its URL's; the rest are hop-by-hop or frame the body).
FORBIDDEN_HEADERS = frozenset({
    "host", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length",
    "expect",
})

#: Cloud metadata services outside the link-local range (which is refused whole): never a
#: webhook's target unless listed.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(address) for address in (
    "fd00:ec2::254",       # AWS, over IPv6
    "100.100.100.200",     # Alibaba Cloud
    "168.63.129.16",       # Azure's wire server
))


class Refused(Exception):
    """The policy does not let a request go to this URL; the message says why."""


class NotAnswered(Exception):
    """No complete answer came: refused connection, timeout, cut or malformed answer."""


@dataclass
class Answer:
    """What the receiver answered, as far as it was read."""

    status: int
    headers: dict[str, str]
    body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetPolicy:
    """Where outbound requests may go.

    With ``allow`` empty: every address but link-local ones (``169.254.0.0/16``, ``fe80::/10``,
    where cloud metadata services live), the metadata addresses of ``METADATA_ADDRESSES``, the
    unspecified, multicast and reserved ones; loopback only when ``loopback`` (the sandbox itself
    listens on a loopback address, so the app under test runs beside it). With ``allow``: only
    a host name it lists (``name`` or ``*.suffix``) or an address within a listed address or CIDR,
    whatever its kind.
    """

    allow: tuple[str, ...] = ()
    loopback: bool = True

    @classmethod
    def for_server(cls, allow: Iterable[str], bind_host: str) -> TargetPolicy:
        """The policy of a sandbox listening on ``bind_host``."""
        return cls(tuple(entry.strip().lower() for entry in allow if entry.strip()),
                   loopback=_is_loopback_name(bind_host))

    def addresses(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """The socket addresses a request to ``host`` may connect to, every one checked.

        With ``allow``, a name must be listed as a name and an address within a listed address
        or CIDR (names are not resolved to match a CIDR, so no look-up is made for a refusal).

        :raises Refused: when the policy does not allow the host or one of its addresses.
        :raises NotAnswered: when the name cannot be resolved.
        """
        host = host.lower().rstrip(".")
        literal = _address_of(host)
        if self.allow and literal is None:
            if not any(_name_matches(entry, host) for entry in self.allow):
                raise Refused(f"the host {host} is not in --webhook-allow")
            return _resolve(host, port)
        if literal is not None:
            self._check(host, literal)
            return _resolve(host, port)
        found = _resolve(host, port)
        for _, sockaddr in found:
            self._check(host, ipaddress.ip_address(sockaddr[0].split("%", 1)[0]))
        return found

    def _check(self, host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if self.allow:
            if not any(_in_network(address, entry) for entry in self.allow):
                raise Refused(f"the host {host} is not in --webhook-allow")
            return
        if address.is_loopback:
            if not self.loopback:
                raise Refused(f"the host {host} is a loopback address, refused where the "
                              "sandbox does not itself listen on loopback; list it in "
                              "--webhook-allow to allow it")
            return
        if (address.is_link_local or address in METADATA_ADDRESSES or address.is_unspecified
                or address.is_multicast or address.is_reserved):
            raise Refused(f"the host {host} is a link-local, metadata or reserved address, "
                          "never a target unless listed in --webhook-allow")


def _address_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a URL's host names literally, or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """``(family, sockaddr)`` of every address ``host`` resolves to."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise NotAnswered(f"the host {host} could not be resolved") from error
    return [(family, sockaddr) for family, _, _, _, sockaddr in found]


def _is_loopback_name(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _name_matches(entry: str, host: str) -> bool:
    return entry == host or (entry.startswith("*.") and host.endswith(entry[1:]))


def _in_network(address: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


# -- one request ------------------------------------------------------------------------------

class _Deadline:
    """Seconds left of one attempt."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise NotAnswered("Timeout: the attempt's deadline passed")
        return left


def send(method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes, *,
         policy: TargetPolicy, timeout: float, cap: int,
         auth: dict[str, Any] | None = None) -> Answer:
    """Send one request and read its answer, within ``timeout`` seconds in all.

    ``auth`` is a webhook credential's ``auth`` (``basic`` or ``digest`` with ``username`` and
    ``password``); a digest challenge is answered once, on a new connection.

    :raises Refused: the policy does not allow the URL (nothing was sent).
    :raises NotAnswered: no complete answer came in time.
    """
    deadline = _Deadline(timeout)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"the URL {url!r} is not an http or https URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise Refused(f"the URL {url!r} has no usable port") from error
    targets = policy.addresses(parts.hostname, port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rsplit("@", 1)[-1]
    base = [("Host", host), *[(name, value) for name, value in headers
                              if name.lower() not in FORBIDDEN_HEADERS],
            ("Content-Length", str(len(body))), ("Connection", "close")]
    kind = (auth or {}).get("type")
    first = base + ([("Authorization", _basic(auth))] if kind == "basic" else [])
    answer = _exchange(parts, targets, method, target, first, body, deadline, cap)
    if kind == "digest" and answer.status == 401:
        challenge = next((value for name, value in answer.headers.items()
                          if name.lower() == "www-authenticate"), "")
        if challenge[:7].lower() == "digest ":
            header = _digest(challenge[7:], auth, method, target)
            answer = _exchange(parts, targets, method, target,
                               base + [("Authorization", header)], body, deadline, cap)
    return answer


def _exchange(parts: Any, targets: list[tuple[Any, ...]], method: str, target: str,
              headers: list[tuple[str, str]], body: bytes, deadline: _Deadline,
              cap: int) -> Answer:
    connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_CAP)
    try:
        data = connection.send(h11.Request(method=method, target=_ascii_target(target),
                                           headers=[(name, _header_bytes(value))
                                                    for name, value in headers]))
        data += connection.send(h11.Data(data=body)) if body else b""
        data += connection.send(h11.EndOfMessage())
    except (h11.LocalProtocolError, UnicodeError) as error:
        raise Refused(f"the request cannot be sent as HTTP/1.1: {error}") from error
    sock = _connect(parts, targets, deadline)
    try:
        sock.settimeout(deadline.left())
        sock.sendall(data)
        response = _next(connection, sock, deadline, (h11.Response,))
        answer = Answer(status=response.status_code,
                        headers={name.decode("latin-1"): value.decode("latin-1")
                                 for name, value in response.headers.raw_items()},
                        body=b"", request_headers=dict(headers))
        answer.body = _read_body(connection, sock, deadline, cap)
        return answer
    except h11.ProtocolError as error:
        raise NotAnswered(f"Malformed answer: {error}") from error
    except TimeoutError as error:
        raise NotAnswered("Timeout: the attempt's deadline passed") from error
    except OSError as error:
        raise NotAnswered(f"Connection failed: {type(error).__name__}") from error
    finally:
        sock.close()


def _header_bytes(value: str) -> bytes:
    """A header value as HTTP clients send it: Latin-1 where it can be, else UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


#: Every printable ASCII character: a target keeps them as they are.
_PRINTABLE = "".join(chr(code) for code in range(33, 127))


def _ascii_target(target: str) -> str:
    """The request target with anything outside printable ASCII percent-encoded (UTF-8)."""
    return target if target.isascii() and target.isprintable() and " " not in target \
        else quote(target, safe=_PRINTABLE)


def _connect(parts: Any, targets: list[tuple[Any, ...]], deadline: _Deadline) -> socket.socket:
    """A connection to the first checked address that takes one (TLS for https)."""
    failure: OSError | None = None
    for family, sockaddr in targets:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.left())
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            failure = error
            continue
        if parts.scheme == "https":
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=parts.hostname)
            except (OSError, ssl.SSLError) as error:
                sock.close()
                raise NotAnswered(f"TLS failed: {type(error).__name__}") from error
        return sock
    if isinstance(failure, TimeoutError):
        raise NotAnswered("Timeout: no connection before the attempt's deadline")
    raise NotAnswered(f"Connection failed: {type(failure).__name__}")


def _next(connection: h11.Connection, sock: socket.socket, deadline: _Deadline,
          wanted: tuple[type, ...]) -> Any:
    """The next event of one of the ``wanted`` kinds, skipping 1xx answers, reading as needed."""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(deadline.left())
            connection.receive_data(sock.recv(_CHUNK))
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, wanted):
            return event
        raise NotAnswered(f"Malformed answer: unexpected {type(event).__name__}")


def _read_body(connection: h11.Connection, sock: socket.socket, deadline: _Deadline,
               cap: int) -> bytes:
    """Up to ``cap`` bytes of the body; the rest is never read (the connection is closed).

    The head's status is the answer: a body cut short after it is kept as far as it came."""
    kept = bytearray()
    while len(kept) < cap:
        try:
            event = _next(connection, sock, deadline, (h11.Data, h11.EndOfMessage,
                                                       h11.ConnectionClosed))
        except (h11.ProtocolError, NotAnswered):
            break
        if not isinstance(event, h11.Data):
            break
        kept += event.data[:cap - len(kept)]
    return bytes(kept)


# -- credentials ------------------------------------------------------------------------------

def _basic(auth: dict[str, Any]) -> str:
    pair = f"{auth.get('username', '')}:{auth.get('password', '')}"
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _digest(challenge: str, auth: dict[str, Any], method: str, uri: str) -> str:
    """The ``Authorization`` header answering a digest challenge (RFC 7616, qop ``auth``)."""
    params = parse_keqv_list(parse_http_list(challenge))
    algorithm = params.get("algorithm", "MD5").upper()
    session = algorithm.endswith("-SESS")
    name = algorithm[:-5] if session else algorithm
    if name == "SHA-512-256":
        def digest(text: str) -> str:
            return hashlib.new("sha512_256", text.encode("utf-8")).hexdigest()
    else:
        function = hashlib.sha256 if name == "SHA-256" else hashlib.md5

        def digest(text: str) -> str:
            return function(text.encode("utf-8")).hexdigest()
    username, password = auth.get("username", ""), auth.get("password", "")
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    cnonce = os.urandom(8).hex()
    secret = digest(f"{username}:{realm}:{password}")
    if session:
        secret = digest(f"{secret}:{nonce}:{cnonce}")
    request = digest(f"{method}:{uri}")
    qops = [qop.strip() for qop in params.get("qop", "").split(",") if qop.strip()]
    fields = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        response = digest(f"{secret}:{nonce}:00000001:{cnonce}:auth:{request}")
        fields.append(f'response="{response}"')
        tail = ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        fields.append(f'response="{digest(f"{secret}:{nonce}:{request}")}"')
        tail = []
    if "opaque" in params:
        fields.append(f'opaque="{params["opaque"]}"')
    fields.append(f"algorithm={params.get('algorithm', 'MD5')}")
    return "Digest " + ", ".join(fields + tail)
