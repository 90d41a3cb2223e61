"""hotline.terminal.desks.acks."""

from __future__ import annotations
