"""hotline: self-hosted crisis-communication terminals.

Layers, bottom up (each imports only the ones below it):

1. ``hotline.proto`` (sans-IO wire protocol), ``hotline.crypto`` (pure crypto) and
   ``hotline.formats`` (notification schemas, pure)
2. ``hotline.store`` (durable state) and ``hotline.link`` (asyncio + TLS)
3. ``hotline.terminal`` (the daemon: delivery core, desks, control socket)
4. ``hotline.console`` (the web console) and ``hotline.cli`` (the command line)

``hotline.testing`` (helpers for tests: virtual time, memory links, the store
conformance suite) may import anything; nothing else imports it.

``hotline.errors``, ``hotline.utc`` and ``hotline.statetable`` (the one shape
of the session, call and meeting state tables) sit below them all.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
