"""The console's routers, one module per concern: ``auth`` (login, logout), ``pages`` (HTML)
and ``api`` (JSON under ``/api``, one router per resource)."""

from __future__ import annotations

from hotline.console.routes import api, auth, pages

__all__ = ["api", "auth", "pages"]
