"""hotline.terminal.desks."""

from __future__ import annotations
