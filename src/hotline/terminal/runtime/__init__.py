"""hotline.terminal.runtime."""

from __future__ import annotations
