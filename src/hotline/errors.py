"""Every error hotline raises, under one root.

::

    HotlineError
    ├── ProtocolError                 the wire protocol was violated (never raised itself)
    │   ├── LocalProtocolError        we misused the sans-IO API (a bug on our side)
    │   └── RemoteProtocolError       the peer sent something invalid; carries ``close_code``
    │                                 (a ``hotline.proto.CloseCode``)
    ├── CryptoError                   a cryptographic check failed
    │   ├── SignatureInvalid          a signature does not verify over the signed bytes
    │   ├── DecryptionFailed          a sealed body does not open with our key
    │   ├── EnvelopeInvalid           an envelope or receipt is malformed
    │   ├── CardInvalid               a peer card is malformed, tampered or self-inconsistent
    │   ├── NoteInvalid               a signed note, checkpoint or cosignature is malformed,
    │   │                             or lacks the signature looked for
    │   ├── NoMessageKey              no message key for a ratcheted (version-3) envelope: not an
    │   │                             epoch opener and our chain is missing, of another epoch or
    │   │                             out of step (the keys of opened messages are gone by design)
    │   ├── ProofInvalid              a Merkle inclusion or consistency proof does not hold
    │   ├── KeyRevoked                signed by a key its party revoked (``hotline key revoke``):
    │   │                             at or after its compromise, or arriving after the revocation
    │   └── PassphraseError           a terminal's sealed private keys cannot be opened
    │       ├── WrongPassphrase       the passphrase given does not open them (or a file changed)
    │       ├── PassphraseMissing     they are sealed and no passphrase source gave one
    │       └── TokenUnavailable      the hardware token holding the signing key cannot be
    │                                 used: no module, token, PIN or key, or the PIN refused
    ├── DeliveryError                 a verified object breaks the delivery rules
    │   ├── DeliveryTimeout           no receipt came back within the time asked for
    │   ├── WrongSigner               signed by someone other than the authenticated peer
    │   ├── ReplayDetected            a serial we already hold, with different content
    │   └── ChainBroken               ``prev_hash`` does not match the previous envelope
    ├── PeerError                     about the set of known peers
    │   ├── UnknownPeer               no card for that party or key
    │   ├── PeerConflict              a card that clashes with one already added
    │   ├── PeerRemoved               the peer was removed (``hotline peer remove``): its line is refused
    │   ├── FingerprintMismatch       the fingerprint read out does not match the peer's card
    │   ├── PeerBlocked               the peer changed its master key: blocked until its new fingerprint is confirmed
    │   └── KeyExpired                the peer's encryption key certificate expired: nothing is sealed to it
    ├── StoreError                    durable state is missing, corrupt or too new
    │   ├── NotInitialised            the directory holds no terminal
    │   ├── AlreadyInitialised        ``init`` on a directory that holds one
    │   ├── SchemaTooNew              the database was written by a newer hotline
    │   └── FencedOut                 another process of this terminal took over the store
    │                                 (active/standby): this one may no longer write
    │   └── BackupInvalid             a backup archive is damaged, incomplete or cannot be
    │                                 restored there (a non-empty directory)
    ├── ConfigError                   the configuration is invalid: hotline.toml, the terminal
    │                                 directory and its key files, or data shipped in the package
    ├── InvalidArgument               a value someone gave (a CLI argument, a form, a request)
    │   │                             is refused; also a ``ValueError``
    │   ├── NotificationInvalid       notification data breaks its format; ``problems`` names each field
    │   ├── ReleaseRefused            a release the markings rules do not allow (an unmarked
    │   │                             message, one already released, or not this side's to release)
    │   ├── StatementInvalid          a joint statement, signature or export breaks its rules
    │   │                             (docs/protocol/statements.md), or an action its state refuses
    │   └── UnknownFormat             no notification format has that code (or version)
    ├── UnknownMessage                no message with that id is stored here
    │   ├── UnknownCall               no call with that id is known here
    │   ├── UnknownProposal           no meeting proposal with that id (with that peer) is stored here
    │   ├── UnknownConference         no conference with that id or name is known here
    │   └── UnknownStatement          no joint statement with that id is known here
    ├── UnknownAlarm                  no open alarm with that id
    ├── MessageTooLarge               a message body over the size limit
    ├── CallError                     a call operation does not fit the call's state
    ├── LinkError                     transport trouble (TLS refusal, connection loss)
    ├── RecordError                   the shared record cannot do what was asked
    │   ├── NotCosigned               no checkpoint of our log is cosigned (by that peer): nothing
    │   │                             can be exported with a proof a third party accepts
    │   └── BundleInvalid             an export bundle is malformed: unknown format or version,
    │                                 missing or unknown keys, bad base64, not canonical JSON
    ├── AccessError                   a console user may not do this
    │   ├── AuthenticationFailed      wrong name or password, or a disabled account
    │   ├── PermissionDenied          the user's role does not allow the action
    │   └── UnknownUser               no user of that name
    └── DaemonError                   talking to the running terminal failed
        └── DaemonNotRunning          no terminal answers on the control socket

Crypto failures stay distinct from one another and from ``ValueError``: the
journal records which one happened, and an operator reads it.

A programming error (a caller breaking a function's contract, a malformed
definition in the source) is a plain ``ValueError`` or ``TypeError``, not a
``HotlineError``: the CLI shows a ``HotlineError`` as one line and exits 1,
while a bug should stop with its traceback. What an HTTP API answers for each
error is one table, ``hotline.terminal.api.errors.ERROR_STATUS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

__all__ = [
    "AccessError",
    "AlreadyInitialised",
    "AuthenticationFailed",
    "BackupInvalid",
    "BundleInvalid",
    "CallError",
    "CardInvalid",
    "ChainBroken",
    "ConfigError",
    "CryptoError",
    "DaemonError",
    "DaemonNotRunning",
    "DecryptionFailed",
    "DeliveryError",
    "DeliveryTimeout",
    "EnvelopeInvalid",
    "FencedOut",
    "FieldProblem",
    "FingerprintMismatch",
    "HotlineError",
    "InvalidArgument",
    "KeyExpired",
    "KeyRevoked",
    "LinkError",
    "LocalProtocolError",
    "MessageTooLarge",
    "NoMessageKey",
    "NotCosigned",
    "NotInitialised",
    "NoteInvalid",
    "NotificationInvalid",
    "PassphraseError",
    "PassphraseMissing",
    "PeerBlocked",
    "PeerConflict",
    "PeerError",
    "PeerRemoved",
    "PermissionDenied",
    "ProofInvalid",
    "ProtocolError",
    "RecordError",
    "ReleaseRefused",
    "RemoteProtocolError",
    "ReplayDetected",
    "SchemaTooNew",
    "SignatureInvalid",
    "StatementInvalid",
    "StoreError",
    "TokenUnavailable",
    "UnknownAlarm",
    "UnknownCall",
    "UnknownConference",
    "UnknownFormat",
    "UnknownMessage",
    "UnknownPeer",
    "UnknownProposal",
    "UnknownStatement",
    "UnknownUser",
    "WrongPassphrase",
    "WrongSigner",
]


class HotlineError(Exception):
    """Root of every error raised by hotline."""


class ProtocolError(HotlineError):
    """The wire protocol was violated. Abstract: raise a subclass."""

    def __new__(cls, *args: object, **kwargs: object) -> ProtocolError:
        if cls is ProtocolError:
            raise TypeError("raise LocalProtocolError or RemoteProtocolError, not ProtocolError")
        return super().__new__(cls, *args)


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol state does not allow (our bug)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the protocol.

    ``close_code`` is the :class:`hotline.proto.CloseCode` to close the session
    with. It is typed ``int`` because this bottom module imports nothing of
    hotline; ``hotline.proto`` always passes a ``CloseCode`` member.
    """

    def __init__(self, message: str, *, close_code: int) -> None:
        super().__init__(message)
        self.close_code = close_code


class CryptoError(HotlineError):
    """A cryptographic check failed."""


class SignatureInvalid(CryptoError):
    """A signature does not verify over the bytes it claims to sign."""


class DecryptionFailed(CryptoError):
    """A sealed body could not be opened with our private key."""


class EnvelopeInvalid(CryptoError):
    """An envelope or receipt is not well-formed."""


class CardInvalid(CryptoError):
    """A peer card is malformed, tampered with, or inconsistent with itself."""


class NoteInvalid(CryptoError):
    """A C2SP signed note, checkpoint or cosignature is malformed, or lacks the signature sought."""


class NoMessageKey(CryptoError):
    """No message key opens this ratcheted envelope: the chain held does not reach it."""


class ProofInvalid(CryptoError):
    """An RFC 9162 inclusion or consistency proof does not hold (the message says which step)."""


class PassphraseError(CryptoError):
    """A terminal's sealed private keys cannot be opened."""


class WrongPassphrase(PassphraseError):
    """The passphrase given does not open the sealed keys (or a sealed file was changed)."""


class PassphraseMissing(PassphraseError):
    """The keys are sealed and no passphrase source gave a passphrase."""


class TokenUnavailable(PassphraseError):
    """The PKCS#11 token holding the signing key cannot be used (module, token, PIN or key)."""


class DeliveryError(HotlineError):
    """A verified object breaks the delivery rules (signer, serial, chain)."""


class DeliveryTimeout(DeliveryError):
    """No verified receipt came back within the time the caller asked for."""


class WrongSigner(DeliveryError):
    """The object is signed by a key other than the authenticated peer's."""


class ReplayDetected(DeliveryError):
    """A serial we already hold arrived again with different content."""


class ChainBroken(DeliveryError):
    """An envelope's previous-hash does not match the envelope before it."""


class PeerError(HotlineError):
    """About the set of known peers."""


class UnknownPeer(PeerError):
    """No card is known for that party name or key."""


class PeerConflict(PeerError):
    """A card clashes with one already added (same name, other keys)."""


class PeerRemoved(PeerError):
    """The peer was removed (``hotline peer remove``): its line is refused."""


class FingerprintMismatch(PeerError):
    """The fingerprint read out does not match the peer's card: nothing was recorded."""


class PeerBlocked(PeerError):
    """The peer changed its master key: its line is blocked until ``hotline peer confirm``."""


class KeyExpired(PeerError):
    """The peer's encryption key is past its certificate's ``not_after``: nothing is sealed
    to it until the peer rotates it (docs/keys.md, "Validity periods")."""


class StoreError(HotlineError):
    """Durable state is missing, corrupt, or from a newer version."""


class NotInitialised(StoreError):
    """The directory does not hold an initialised terminal."""


class AlreadyInitialised(StoreError):
    """The directory already holds a terminal."""


class SchemaTooNew(StoreError):
    """The database schema is newer than this hotline understands."""


class FencedOut(StoreError):
    """Another process of this terminal took over the store (a newer fencing epoch): no more writes here."""


class BackupInvalid(StoreError):
    """A backup archive is damaged or incomplete, or cannot be made or restored where asked."""


class ConfigError(HotlineError):
    """The configuration is invalid: hotline.toml, the terminal directory, key files, package data."""


class FieldProblem(Protocol):
    """One problem a :class:`NotificationInvalid` carries: ``hotline.formats.Problem``.

    Described here rather than imported, because this module depends on nothing
    else in hotline; the wordings in every language live with the formats.
    """

    @property
    def path(self) -> str:
        """The field, dotted with list indices in brackets; ``""`` for the data as a whole."""

    @property
    def code(self) -> str:
        """What is wrong, as a stable identifier (``"required"``, ``"too_small"``)."""

    @property
    def params(self) -> Mapping[str, object]:
        """The values the problem's sentence needs (``{"limit": 1}``)."""

    @property
    def message(self) -> str:
        """The problem in English."""


class InvalidArgument(HotlineError, ValueError):
    """A value given by a person or a client (CLI argument, form, request body) is refused.

    Also a ``ValueError``, so code that validates with ``except ValueError``
    (pydantic validators among it) still sees it.
    """


class NotificationInvalid(InvalidArgument):
    """A formatted notification's data breaks its format; ``problems`` names every bad field.

    Each problem is a ``hotline.formats.Problem``: ``path`` (dotted with list
    indices in brackets: ``"window.start"``, ``"corridor[2].lat"``), ``code``
    and ``params``, rendered in a reader's language by
    ``hotline.formats.render_problem``. Validation reports all of them at once,
    so an operator fixes a notice in one pass; ``str()`` lists them in English.
    """

    def __init__(self, problems: Iterable[FieldProblem], *, format_code: str = "") -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        self.format_code = format_code
        what = f"{format_code} notification" if format_code else "notification"
        count = len(self.problems)
        listed = "; ".join(f"{p.path or '(data)'}: {p.message}" for p in self.problems)
        super().__init__(f"invalid {what} ({count} problem{'' if count == 1 else 's'}): {listed}")


class ReleaseRefused(InvalidArgument):
    """A release the markings rules do not allow: an unmarked message, a second release, or not ours to release."""


class StatementInvalid(InvalidArgument):
    """A joint statement, signature or export breaks its rules, or its state refuses the action."""


class UnknownFormat(InvalidArgument):
    """No notification format has that code (or this hotline lacks that version of it)."""


class UnknownMessage(HotlineError):
    """No message with that id is stored here."""


class UnknownCall(UnknownMessage):
    """No call with that id is known here."""


class UnknownProposal(UnknownMessage):
    """No meeting proposal with that id (and that peer) is stored here; its id is a message id."""


class UnknownConference(UnknownMessage):
    """No conference with that id (or name) is known here; its id is a message id."""


class UnknownStatement(UnknownMessage):
    """No joint statement with that id (its first draft's, or any draft's) is known here."""


class UnknownAlarm(HotlineError):
    """No open alarm with that id (or it is already acknowledged)."""


class CallError(HotlineError):
    """A call operation does not fit the call's state (answering an ended call, ...)."""


class MessageTooLarge(HotlineError):
    """A message body is over the size limit."""


class LinkError(HotlineError):
    """Transport trouble: a TLS refusal or a lost connection."""


class RecordError(HotlineError):
    """The shared record cannot do what was asked (an export, an audit's input)."""


class NotCosigned(RecordError):
    """No checkpoint of our log has been cosigned (by the peer asked for): nothing to export."""


class BundleInvalid(RecordError):
    """An export bundle is malformed: its format, version, keys, base64 or JSON form."""


class AccessError(HotlineError):
    """A console user may not do this."""


class AuthenticationFailed(AccessError):
    """Wrong name or password, or a disabled account (deliberately not told apart)."""


class PermissionDenied(AccessError):
    """The user's role does not allow the action."""


class UnknownUser(AccessError):
    """No user of that name."""


class DaemonError(HotlineError):
    """Talking to the running terminal's control API failed."""


class DaemonNotRunning(DaemonError):
    """No terminal answers on the directory's control socket."""


class KeyRevoked(CryptoError):
    """Signed by an operational key its party revoked (``hotline key revoke``).

    Refused when signed at or after the key's compromise time, and whatever
    time it claims once the revocation is held: a thief can backdate.
    """
