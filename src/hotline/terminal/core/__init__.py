"""hotline.terminal.core."""

from __future__ import annotations
