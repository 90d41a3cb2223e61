"""hotline: self-hosted crisis-communication terminals.

Layers, bottom up (each imports only the ones below it):

1. ``hotline.proto`` (sans-IO wire protocol) and ``hotline.crypto`` (pure crypto)
2. ``hotline.store`` (durable state) and ``hotline.link`` (asyncio + TLS)
3. ``hotline.terminal`` (the daemon)
4. ``hotline.cli`` (the command line)

``hotline.errors``, ``hotline.utc`` and ``hotline.statetable`` (the one shape
of the session, call and meeting state tables) sit below them all.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
