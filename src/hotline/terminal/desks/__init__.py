"""One subpackage per feature (a desk), each registered by the envelope kinds it handles.

A desk imports the core (:mod:`hotline.terminal.core`), the runtime and the
configuration, never another desk (tests/test_layers.py checks it). Desks that
must react to each other do so through the core's desk events
(:mod:`hotline.terminal.core.desk`), which the terminal announces to every desk.
"""

from __future__ import annotations
