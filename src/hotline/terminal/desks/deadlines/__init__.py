"""hotline.terminal.desks.deadlines."""

from __future__ import annotations
