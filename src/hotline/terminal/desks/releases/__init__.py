"""Releases of marked messages: signed, sent, received and recorded on both sides."""

from __future__ import annotations

from hotline.terminal.desks.releases.desk import RELEASE_KIND, ReleaseDesk, release_json

__all__ = ["RELEASE_KIND", "ReleaseDesk", "release_json"]
