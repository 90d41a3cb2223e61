"""Acknowledgements: a named person says they have seen a message."""

from __future__ import annotations

from hotline.terminal.desks.acks.desk import ACK_KIND, AckDesk

__all__ = ["ACK_KIND", "AckDesk"]
