"""hotline.terminal.desks.accounts."""

from __future__ import annotations
