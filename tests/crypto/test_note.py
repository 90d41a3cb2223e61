"""C2SP signed notes, checkpoints and cosignature/v1 against published examples.

Sources of the fixed bytes below:

* golang.org/x/mod ``sumdb/note/note_test.go`` (TestSign, TestOpen,
  TestNewVerifier): PeterNeumann's private key, vkey and signed note, EnochRoot's
  vkey and signature, and its malformed messages;
* c2sp.org/signed-note (the ``example.com/foo`` vkey and note),
  c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature (the behind-the-sofa
  checkpoint, its cosignature line and the signed message it shows);
* transparency-dev/formats ``note/note_cosigv1_test.go`` (cosignature vkeys and
  a timestamped signature);
* a live checkpoint of the public CT log arche2025h1.staging.ct.transparency.dev
  with its Ed25519 log signature and the cosignature/v1 of the public witness
  remora.n621.de, whose vkey transparency-dev/formats publishes.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import (
    BODY_DOMAIN,
    CARD_DOMAIN,
    COSIGNATURE_V1_TYPE,
    ED25519_SIGNATURE_TYPE,
    ENVELOPE_DOMAIN,
    FINGERPRINT_DOMAIN,
    MAX_NOTE_SIGNATURES,
    RECEIPT_DOMAIN,
    Checkpoint,
    Identity,
    NoteSignature,
    SignedNote,
    cosign,
    cosignature_message,
    leaf_hash,
    note_key_id,
    parse_verifier_key,
    root_of,
    sign_note,
    validate_key_name,
    verifier_key,
    verify_cosignature,
    verify_note,
)
from hotline.errors import CryptoError, NoteInvalid, SignatureInvalid
from tests.crypto.conftest import fixed_identity

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol" / "record-formats.md"

# golang.org/x/mod/sumdb/note/note_test.go
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# c2sp.org/signed-note, "Verifier keys" example
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# c2sp.org/tlog-checkpoint and tlog-cosignature
SOFA_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_NOTE = (
    SOFA_BODY
    + "\n"
    + "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    + "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SOFA_SIGNED_MESSAGE = (
    "cosignature/v1\n"
    "time 1679315147\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

# A live CT log checkpoint and the public witnesses' cosignatures of it.
ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ARCHE_NOTE = """arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""


def _peter() -> tuple[Ed25519PrivateKey, bytes]:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == ED25519_SIGNATURE_TYPE
    private = Ed25519PrivateKey.from_private_bytes(seed[1:])
    return private, private.public_key().public_bytes_raw()


# --- key IDs and verifier keys ------------------------------------------------------------


def test_key_id_and_vkey_of_the_go_signer() -> None:
    _, public = _peter()
    assert note_key_id("PeterNeumann", public, ED25519_SIGNATURE_TYPE).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", public) == PETER_VKEY
    assert parse_verifier_key(PETER_VKEY) == ("PeterNeumann", ED25519_SIGNATURE_TYPE, public)
    # Independently: SHA-256(name || "\n" || type || key)[:4].
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()
    assert note_key_id("PeterNeumann", public, 1) == digest[:4]


@pytest.mark.parametrize(
    ("vkey", "signature_type"),
    [
        (PETER_VKEY, 0x01),
        (ENOCH_VKEY, 0x01),
        (FOO_VKEY, 0x01),
        (ARCHE_VKEY, 0x01),
        ("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", 0x01),
        # A native cosignature/v1 vkey: the key ID is computed with type 0x04.
        (REMORA_VKEY, COSIGNATURE_V1_TYPE),
    ],
)
def test_published_vkeys_round_trip(vkey: str, signature_type: int) -> None:
    name, parsed_type, public = parse_verifier_key(vkey)
    assert parsed_type == signature_type
    assert verifier_key(name, public, signature_type) == vkey


def test_every_mangling_of_a_vkey_is_refused() -> None:
    """TestNewVerifier: every proper substring and every one-byte change is refused."""
    refused = 0
    encoded = PETER_VKEY.encode()
    for i in range(len(encoded) + 1):
        for j in range(i + 1, len(encoded) + 1):
            if (i, j) != (0, len(encoded)):
                with pytest.raises(NoteInvalid):
                    parse_verifier_key(encoded[i:j].decode())
                refused += 1
    for i in range(len(encoded)):
        mangled = bytearray(encoded)
        mangled[i] += 1
        with pytest.raises(NoteInvalid):
            parse_verifier_key(mangled.decode())
        refused += 1
    assert refused > 2000


@pytest.mark.parametrize(
    "vkey",
    [
        # golang.org/x/mod: wrong key length, unknown algorithm (key IDs adjusted)
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # transparency-dev/formats
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
        # upper-case hex, a name with a space
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(NoteInvalid):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "tab\there", "nbsp\u00a0", "ideo\u3000", "nl\n"]
)
def test_key_names_refused(name: str) -> None:
    with pytest.raises(NoteInvalid):
        validate_key_name(name)
    with pytest.raises(NoteInvalid):
        note_key_id(name, b"k" * 32, 1)


def test_key_names_allowed() -> None:
    for name in ["example.com/foo", "oid/1.3.6.1.4.1", "Москва", "a"]:
        assert validate_key_name(name) == name


# --- signing and opening notes ------------------------------------------------------------


def test_sign_reproduces_the_go_note_byte_for_byte() -> None:
    private, public = _peter()
    signature = sign_note(TEXT, name="PeterNeumann", public_key=public, sign=private.sign)
    assert signature.line() == PETER_SIG
    assert SignedNote(TEXT, (signature,)).encode() == (TEXT + "\n" + PETER_SIG).encode()


def test_open_the_go_note_with_one_known_and_one_unknown_key() -> None:
    data = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    note = SignedNote.decode(data)
    assert note.text == TEXT
    assert [(s.name, s.key_id.hex()) for s in note.signatures] == [
        ("PeterNeumann", "c74f20a3"),
        ("EnochRoot", "af0cfe78"),
    ]
    assert note.encode() == data
    for vkey in (PETER_VKEY, ENOCH_VKEY):
        name, _, public = parse_verifier_key(vkey)
        verify_note(note, name=name, public_key=public)
    # A key the note has no signature by: NoteInvalid, not a signature failure.
    name, _, public = parse_verifier_key(FOO_VKEY)
    with pytest.raises(NoteInvalid, match=r"no signature by example\.com/foo"):
        verify_note(note, name=name, public_key=public)
    # Same name, other key (so another key ID): also not found.
    with pytest.raises(NoteInvalid):
        verify_note(note, name="PeterNeumann", public_key=public)


def test_the_c2sp_signed_note_example_verifies() -> None:
    name, _, public = parse_verifier_key(FOO_VKEY)
    note = SignedNote.decode(FOO_NOTE.encode())
    verify_note(note, name=name, public_key=public)
    assert note.encode() == FOO_NOTE.encode()


def test_a_corrupted_signature_is_refused() -> None:
    # golang.org/x/mod: "ABCD" spliced into the base64 gives 67 signature bytes.
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    note = SignedNote.decode((TEXT + "\n" + bad).encode())
    _, _, public = parse_verifier_key(PETER_VKEY)
    with pytest.raises(SignatureInvalid, match="PeterNeumann"):
        verify_note(note, name="PeterNeumann", public_key=public)
    # A changed text no longer verifies either.
    changed = SignedNote(
        "If you think\n", SignedNote.decode((TEXT + "\n" + PETER_SIG).encode()).signatures
    )
    with pytest.raises(SignatureInvalid):
        verify_note(changed, name="PeterNeumann", public_key=public)


def test_a_good_and_a_forged_line_under_one_key_is_refused() -> None:
    forged = NoteSignature("PeterNeumann", bytes.fromhex("c74f20a3"), bytes(64)).line()
    note = SignedNote.decode((TEXT + "\n" + PETER_SIG + forged).encode())
    _, _, public = parse_verifier_key(PETER_VKEY)
    with pytest.raises(SignatureInvalid):
        verify_note(note, name="PeterNeumann", public_key=public)


def test_duplicate_signatures_are_kept_and_still_verify() -> None:
    data = (TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG).encode()
    note = SignedNote.decode(data)
    assert len(note.signatures) == 4
    assert note.encode() == data
    _, _, public = parse_verifier_key(PETER_VKEY)
    verify_note(note, name="PeterNeumann", public_key=public)


def test_signature_count_limit() -> None:
    at_limit = (TEXT + "\n" + PETER_SIG * MAX_NOTE_SIGNATURES).encode()
    assert len(SignedNote.decode(at_limit).signatures) == MAX_NOTE_SIGNATURES
    with pytest.raises(NoteInvalid, match="at most 100"):
        SignedNote.decode((TEXT + "\n" + PETER_SIG * 101).encode())
    one = SignedNote.decode((TEXT + "\n" + PETER_SIG).encode()).signatures[0]
    with pytest.raises(NoteInvalid, match="at most 100"):
        SignedNote(TEXT, (one,) * 101)


@pytest.mark.parametrize(
    "message",
    [
        # golang.org/x/mod TestOpen's bad messages
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # and the spec's other rules
        TEXT + "\n" + PETER_SIG.replace("—", "-"),  # hyphen, not em dash
        TEXT + "\n" + PETER_SIG.replace("— ", "—"),  # no space after the dash
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann ", " "),  # empty key name
        TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),  # non-canonical padding bits
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),  # missing padding
        TEXT + "\n" + PETER_SIG.replace("x08go/", "x08go_"),  # URL alphabet
        TEXT + "\n" + "— PeterNeumann x08gow==\n",  # key ID only, no signature
        TEXT + "\n" + PETER_SIG + "\n",  # blank line after the signatures
        TEXT + "\n" + PETER_SIG.replace("\n", "\r\n"),  # CR is a control character
        TEXT.replace("If you", "If\tyou") + "\n" + PETER_SIG,
        TEXT.replace("If you", "If\x00you") + "\n" + PETER_SIG,
        "",
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteInvalid):
        SignedNote.decode(message.encode())


def test_invalid_utf8_is_refused() -> None:
    for raw in [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"]:  # bad byte, overlong, surrogate
        with pytest.raises(NoteInvalid, match="UTF-8"):
            SignedNote.decode(raw + (TEXT + "\n" + PETER_SIG).encode())


def test_the_text_runs_to_the_last_blank_line() -> None:
    text = "first\n\nsecond, after a blank line\n\n"
    note = SignedNote.decode((text + "\n" + PETER_SIG).encode())
    assert note.text == text
    assert note.encode() == (text + "\n" + PETER_SIG).encode()


def test_note_construction_rules() -> None:
    with pytest.raises(NoteInvalid, match="newline"):
        SignedNote("no final newline")
    with pytest.raises(NoteInvalid, match="control character 0x00"):
        SignedNote("nul\x00\n")
    with pytest.raises(NoteInvalid, match="UTF-8"):
        SignedNote("surrogate \ud800\n")
    with pytest.raises(NoteInvalid, match="at least one signature"):
        SignedNote(TEXT).encode()
    with pytest.raises(NoteInvalid, match="key ID is 4 bytes"):
        NoteSignature("a", b"abc", b"sig")
    with pytest.raises(NoteInvalid, match="empty"):
        NoteSignature("a", b"abcd", b"")
    line = NoteSignature("example.com/x", b"\x00\x01\x02\x03", b"\xff" * 3).line()
    assert line == "— example.com/x AAECA////w==\n"
    assert NoteSignature.from_line(line) == NoteSignature(
        "example.com/x", b"\x00\x01\x02\x03", b"\xff" * 3
    )


def test_with_signatures_replaces_a_keys_older_signature() -> None:
    a1 = NoteSignature("a", b"aaaa", b"1")
    a2 = NoteSignature("a", b"aaaa", b"2")
    b1 = NoteSignature("b", b"bbbb", b"1")
    a_other_key = NoteSignature("a", b"AAAA", b"1")
    note = SignedNote(TEXT, (a1, b1))
    assert note.with_signatures(a2).signatures == (b1, a2)
    assert note.with_signatures(a_other_key).signatures == (a1, b1, a_other_key)
    assert note.with_signatures(a2, a1).signatures == (b1, a1)
    assert note.signatures_by("a", b"aaaa") == (a1,)


def test_sign_note_refusals() -> None:
    moscow = fixed_identity("Moscow")
    washington = fixed_identity("Washington")
    with pytest.raises(NoteInvalid, match="newline"):
        sign_note("text", name="moscow", public_key=moscow.signing_public, sign=moscow.sign)
    with pytest.raises(NoteInvalid, match="control character"):
        sign_note(
            "hotline-receipt-v1\x00\n",
            name="moscow",
            public_key=moscow.signing_public,
            sign=moscow.sign,
        )
    with pytest.raises(NoteInvalid, match="key name"):
        sign_note(TEXT, name="mos cow", public_key=moscow.signing_public, sign=moscow.sign)
    with pytest.raises(ValueError, match="sign"):
        sign_note(TEXT, name="moscow", public_key=moscow.signing_public, sign=washington.sign)


def test_note_signatures_cannot_be_hotline_signatures() -> None:
    """Every other message hotline signs starts with a domain tag ending in NUL; notes cannot hold one."""
    for domain in (BODY_DOMAIN, CARD_DOMAIN, ENVELOPE_DOMAIN, FINGERPRINT_DOMAIN, RECEIPT_DOMAIN):
        assert domain.startswith(b"hotline-"), domain
        assert domain.endswith(b"\x00"), domain
        with pytest.raises(NoteInvalid):
            SignedNote(domain.decode() + "\n")
    assert b"\x00" not in cosignature_message(SOFA_BODY, 0)


# --- checkpoints --------------------------------------------------------------------------


def test_the_c2sp_checkpoint_parses_and_round_trips() -> None:
    checkpoint = Checkpoint.parse(SOFA_BODY)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.body() == SOFA_BODY
    note = SignedNote.decode(SOFA_NOTE.encode())
    assert note.text == SOFA_BODY
    assert note.encode() == SOFA_NOTE.encode()


def test_checkpoint_extensions_and_the_empty_tree() -> None:
    text = "log.example\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\nsecond ext\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.size == 0
    assert checkpoint.root == hashlib.sha256(b"").digest()
    assert checkpoint.extensions == ("ext one", "second ext")
    assert checkpoint.body() == text
    assert Checkpoint.parse(f"x\n{2**64 - 1}\n{'A' * 43}=\n").size == 2**64 - 1


ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.mark.parametrize(
    "text",
    [
        f"origin\n1\n{ROOT_B64}",  # no final newline
        "origin\n1\n",  # no root line
        f"\n1\n{ROOT_B64}\n",  # empty origin
        f"origin\n01\n{ROOT_B64}\n",  # leading zero
        f"origin\n+1\n{ROOT_B64}\n",
        f"origin\n-1\n{ROOT_B64}\n",
        f"origin\n 1\n{ROOT_B64}\n",
        f"origin\n1.0\n{ROOT_B64}\n",
        f"origin\n\u0661\n{ROOT_B64}\n",  # ARABIC-INDIC DIGIT ONE
        f"origin\n{2**64}\n{ROOT_B64}\n",  # beyond uint64
        f"origin\n{'9' * 5000}\n{ROOT_B64}\n",
        f"origin\n\n{ROOT_B64}\n",
        "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",  # 31 bytes
        "origin\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  # padding bits set
        "origin\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",  # URL alphabet
        f"origin\n1\n{ROOT_B64}\n\n",  # empty extension line
        f"origin\n1\n{ROOT_B64}\next\n\n",
        f"ori\tgin\n1\n{ROOT_B64}\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteInvalid):
        Checkpoint.parse(text)


def test_checkpoint_construction_rules() -> None:
    root = bytes(32)
    for bad in [
        {"origin": "", "size": 1, "root": root},
        {"origin": "a\nb", "size": 1, "root": root},
        {"origin": "a", "size": -1, "root": root},
        {"origin": "a", "size": True, "root": root},
        {"origin": "a", "size": 1, "root": root[:31]},
        {"origin": "a", "size": 1, "root": root, "extensions": ("",)},
        {"origin": "a", "size": 1, "root": root, "extensions": ("x\ny",)},
    ]:
        with pytest.raises(NoteInvalid):
            Checkpoint(**bad)  # type: ignore[arg-type]


# --- cosignature/v1 -----------------------------------------------------------------------


def test_the_c2sp_cosignature_example_is_framed_as_the_spec_says() -> None:
    """The spec publishes no key for it: check the framing and the signed message."""
    note = SignedNote.decode(SOFA_NOTE.encode())
    witness = note.signatures[1]
    assert witness.name == "witness.example.com/w1"
    assert witness.key_id.hex() == "8d66cf3f"
    assert len(witness.signature) == 8 + 64
    timestamp = int.from_bytes(witness.signature[:8], "big")
    assert timestamp == 1679315147
    assert cosignature_message(note.text, timestamp) == SOFA_SIGNED_MESSAGE.encode()


def test_a_live_checkpoint_and_its_witness_cosignature_verify() -> None:
    note = SignedNote.decode(ARCHE_NOTE.encode())
    assert note.encode() == ARCHE_NOTE.encode()
    checkpoint = Checkpoint.parse(note.text)
    assert (checkpoint.origin, checkpoint.size) == (
        "arche2025h1.staging.ct.transparency.dev",
        1432088532,
    )
    log_name, _, log_key = parse_verifier_key(ARCHE_VKEY)
    verify_note(note, name=log_name, public_key=log_key)
    name, _, key = parse_verifier_key(REMORA_VKEY)
    (cosignature,) = note.signatures_by(name, note_key_id(name, key, COSIGNATURE_V1_TYPE))
    assert verify_cosignature(note.text, cosignature, name=name, public_key=key) == 1779573024
    # The same checkpoint with another size: neither signature holds.
    clobbered = note.text.replace("1432088532", "42")
    with pytest.raises(SignatureInvalid):
        verify_note(SignedNote(clobbered, note.signatures), name=log_name, public_key=log_key)
    with pytest.raises(SignatureInvalid):
        verify_cosignature(clobbered, cosignature, name=name, public_key=key)
    # The witness key is not a note key: its 0x04 key ID is not the 0x01 one.
    with pytest.raises(NoteInvalid):
        verify_note(note, name=name, public_key=key)


def test_transparency_dev_cosignature_timestamp() -> None:
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    signature = NoteSignature("w", raw[:4], raw[4:])
    assert int.from_bytes(signature.signature[:8], "big") == 1727964367


def test_cosign_against_an_independent_computation() -> None:
    washington = fixed_identity("Washington")
    body = Checkpoint("moscow.hotline.example", 8, bytes(range(32))).body()
    signature = cosign(
        body,
        name="washington.hotline.example",
        public_key=washington.signing_public,
        sign=washington.sign,
        timestamp=1700000000,
    )
    # By hand, from the spec's words: key ID over type 0x04, u64 BE time, Ed25519.
    message = b"cosignature/v1\ntime 1700000000\n" + body.encode()
    key_id = hashlib.sha256(
        b"washington.hotline.example\n\x04" + washington.signing_public
    ).digest()[:4]
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"Washington signing").digest())
    assert signature.key_id == key_id
    assert signature.signature == (1700000000).to_bytes(8, "big") + private.sign(message)
    Ed25519PublicKey.from_public_bytes(washington.signing_public).verify(
        signature.signature[8:], message
    )
    assert (
        verify_cosignature(
            body, signature, name="washington.hotline.example", public_key=washington.signing_public
        )
        == 1700000000
    )


@pytest.fixture(scope="module")
def cosigned() -> tuple[str, NoteSignature, Identity]:
    washington = fixed_identity("Washington")
    body = Checkpoint("moscow.hotline.example", 3, bytes(32)).body()
    signature = cosign(
        body, name="w", public_key=washington.signing_public, sign=washington.sign, timestamp=5
    )
    return body, signature, washington


def test_verify_cosignature_refusals(cosigned: tuple[str, NoteSignature, Identity]) -> None:
    body, signature, washington = cosigned
    key = washington.signing_public
    assert verify_cosignature(body, signature, name="w", public_key=key) == 5
    with pytest.raises(NoteInvalid, match="not a cosignature/v1 by"):
        verify_cosignature(body, signature, name="v", public_key=washington.signing_public)
    plain = NoteSignature("w", note_key_id("w", washington.signing_public, 1), signature.signature)
    with pytest.raises(NoteInvalid, match="not a cosignature/v1 by"):
        verify_cosignature(body, plain, name="w", public_key=key)
    short = NoteSignature("w", signature.key_id, signature.signature[:-1])
    with pytest.raises(NoteInvalid, match="72 bytes"):
        verify_cosignature(body, short, name="w", public_key=key)
    future = NoteSignature("w", signature.key_id, b"\x80" + signature.signature[1:])
    with pytest.raises(NoteInvalid, match="2\\^63"):
        verify_cosignature(body, future, name="w", public_key=key)
    later = NoteSignature("w", signature.key_id, (6).to_bytes(8, "big") + signature.signature[8:])
    with pytest.raises(SignatureInvalid):
        verify_cosignature(body, later, name="w", public_key=key)
    with pytest.raises(SignatureInvalid):
        verify_cosignature(body.replace("\n3\n", "\n4\n"), signature, name="w", public_key=key)
    with pytest.raises(NoteInvalid):
        verify_cosignature("not a checkpoint\n", signature, name="w", public_key=key)
    assert issubclass(NoteInvalid, CryptoError)


def test_cosign_refusals() -> None:
    washington = fixed_identity("Washington")
    key = washington.signing_public
    body = Checkpoint("o", 1, bytes(32)).body()
    with pytest.raises(NoteInvalid):
        cosign("o\n1\n", name="w", public_key=key, sign=washington.sign, timestamp=0)
    for timestamp in (-1, 2**63):
        with pytest.raises(ValueError, match="timestamp"):
            cosign(body, name="w", public_key=key, sign=washington.sign, timestamp=timestamp)
    with pytest.raises(ValueError, match="sign"):
        cosign(body, name="w", public_key=bytes(32), sign=washington.sign, timestamp=0)
    assert cosignature_message(body, 2**63 - 1).startswith(
        b"cosignature/v1\ntime 9223372036854775807\n"
    )


# --- the worked example in docs/protocol/record-formats.md ------------------------------

RFC_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]


def test_the_worked_example_in_the_docs_is_what_the_code_produces() -> None:
    moscow, washington = fixed_identity("Moscow"), fixed_identity("Washington")
    root = root_of([leaf_hash(bytes.fromhex(h)) for h in RFC_LEAVES])
    checkpoint = Checkpoint("moscow.hotline.example", 8, root)
    signature = sign_note(
        checkpoint.body(),
        name="moscow.hotline.example",
        public_key=moscow.signing_public,
        sign=moscow.sign,
    )
    cosignature = cosign(
        checkpoint.body(),
        name="washington.hotline.example",
        public_key=washington.signing_public,
        sign=washington.sign,
        timestamp=1700000000,
    )
    note = SignedNote(checkpoint.body(), (signature, cosignature)).encode().decode()
    docs = DOCS.read_text(encoding="utf-8")
    assert note in docs
    assert verifier_key("moscow.hotline.example", moscow.signing_public) in docs
    assert verifier_key("washington.hotline.example", washington.signing_public, 4) in docs
    for public in (moscow.signing_public, washington.signing_public):
        assert public.hex() in docs
    message = cosignature_message(checkpoint.body(), 1700000000).decode()
    assert message in docs


# --- properties ---------------------------------------------------------------------------

_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="+"),
    min_size=1,
    max_size=20,
).filter(lambda s: not any(c.isspace() for c in s))
_lines = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
_signatures = st.builds(
    NoteSignature, _names, st.binary(min_size=4, max_size=4), st.binary(min_size=1, max_size=80)
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_lines, min_size=1, max_size=6),
    signatures=st.lists(_signatures, min_size=1, max_size=5),
)
def test_decode_encode_round_trip(lines: list[str], signatures: list[NoteSignature]) -> None:
    note = SignedNote("\n".join(lines) + "\n", tuple(signatures))
    assert SignedNote.decode(note.encode()) == note


@settings(max_examples=500, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.sampled_from([SOFA_NOTE, ARCHE_NOTE, FOO_NOTE]).flatmap(
            lambda note: st.tuples(st.integers(0, len(note.encode()) - 1), st.integers(0, 255)).map(
                lambda change: _changed(note.encode(), *change)
            )
        ),
    )
)
def test_arbitrary_bytes_decode_canonically_or_raise_note_invalid(data: bytes) -> None:
    """Fuzz invariant: NoteInvalid or a note that encodes back to the very same bytes."""
    try:
        note = SignedNote.decode(data)
    except NoteInvalid:
        return
    assert note.encode() == data
    try:
        checkpoint = Checkpoint.parse(note.text)
    except NoteInvalid:
        return
    assert checkpoint.body() == note.text


def _changed(data: bytes, position: int, value: int) -> bytes:
    return data[:position] + bytes([value]) + data[position + 1 :]


def _covered_positions() -> list[int]:
    """Byte offsets of ARCHE_NOTE that a check covers: the text and the two known keys' lines."""
    data = ARCHE_NOTE.encode()
    covered = list(range(data.index(b"\n\n") + 1))
    for prefix in (
        "— arche2025h1.staging.ct.transparency.dev ui8G".encode(),
        "— remora.n621.de ".encode(),
    ):
        begin = data.index(prefix)
        covered.extend(range(begin, data.index(b"\n", begin) + 1))
    return covered


@settings(max_examples=300, deadline=None)
@given(position=st.sampled_from(_covered_positions()), value=st.integers(0, 255))
def test_any_changed_byte_of_a_cosigned_checkpoint_is_caught(position: int, value: int) -> None:
    original = ARCHE_NOTE.encode()
    data = _changed(original, position, value)
    if data == original:
        return
    _open_arche(original)
    with pytest.raises((NoteInvalid, SignatureInvalid)):
        _open_arche(data)


def _open_arche(data: bytes) -> None:
    """Decode and check both known signatures; raise if anything does not hold."""
    log_name, _, log_key = parse_verifier_key(ARCHE_VKEY)
    name, _, key = parse_verifier_key(REMORA_VKEY)
    note = SignedNote.decode(data)
    verify_note(note, name=log_name, public_key=log_key)
    found = note.signatures_by(name, note_key_id(name, key, COSIGNATURE_V1_TYPE))
    if not found:
        raise NoteInvalid("the witness's line is gone")
    verify_cosignature(note.text, found[0], name=name, public_key=key)
