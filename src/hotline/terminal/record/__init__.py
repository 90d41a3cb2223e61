"""The shared record (docs/protocol/record.md).

Every terminal's journal is an RFC 6962 Merkle log (:mod:`.keeper`) whose
C2SP checkpoints its peers cosign over the line (:mod:`.witness`). An export
(:mod:`.export`) is one self-contained bundle of entries with inclusion proofs
against a cosigned checkpoint, which :mod:`.audit` verifies with nothing but
the bundle (and, if given, the parties' cards).
"""

from __future__ import annotations

from hotline.terminal.record.audit import AuditReport, MessageAccount, audit_bundle
from hotline.terminal.record.bundle import Bundle, Selection
from hotline.terminal.record.export import ExportSummary, export_bundle
from hotline.terminal.record.keeper import RecordKeeper, RecordTree
from hotline.terminal.record.origin import record_origin
from hotline.terminal.record.status import RecordStatus, record_status
from hotline.terminal.record.verify import VerifyReport, verify_store
from hotline.terminal.record.witness import Witnessing

__all__ = [
    "AuditReport",
    "Bundle",
    "ExportSummary",
    "MessageAccount",
    "RecordKeeper",
    "RecordStatus",
    "RecordTree",
    "Selection",
    "VerifyReport",
    "Witnessing",
    "audit_bundle",
    "export_bundle",
    "record_origin",
    "record_status",
    "verify_store",
]
