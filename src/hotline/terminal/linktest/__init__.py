"""hotline.terminal.linktest.desk."""

from __future__ import annotations
