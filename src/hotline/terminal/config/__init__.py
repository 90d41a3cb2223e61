"""hotline.terminal.config."""

from __future__ import annotations
