"""hotline.terminal.desks.calls."""

from __future__ import annotations
