"""Layer 2: asyncio I/O. TLS routes, transports, redial backoff, the failover policy.

Drives bytes; knows nothing of envelopes or storage.
"""

from __future__ import annotations

from hotline.link.backoff import Backoff
from hotline.link.failover import FailoverPolicy, LineState, RouteState, RouteView
from hotline.link.tls import (
    RefusalHandler,
    TLSListener,
    TransportHandler,
    client_context,
    dial,
    parse_route,
    server_context,
)
from hotline.link.transport import StreamTransport, Transport

__all__ = [
    "Backoff",
    "FailoverPolicy",
    "LineState",
    "RefusalHandler",
    "RouteState",
    "RouteView",
    "StreamTransport",
    "TLSListener",
    "Transport",
    "TransportHandler",
    "client_context",
    "dial",
    "parse_route",
    "server_context",
]
