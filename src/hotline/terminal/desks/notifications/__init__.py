"""hotline.terminal.desks.notifications."""

from __future__ import annotations
