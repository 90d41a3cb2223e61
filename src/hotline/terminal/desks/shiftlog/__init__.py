"""hotline.terminal.desks.shiftlog."""

from __future__ import annotations
