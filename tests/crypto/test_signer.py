"""The signer interface: the same behaviour from a key in memory and from a key in a PKCS#11 token.

The ``signer`` fixture gives an identity on each backend: ``software``
(:class:`SoftwareSigner`) and ``pkcs11`` (:class:`PKCS11Signer` on SoftHSM2,
in a token of the test's own; skipped without SoftHSM2 unless CI or
HOTLINE_REQUIRE_PKCS11 asks for it).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto import (
    Identity,
    PKCS11Signer,
    Signer,
    SoftwareSigner,
    TokenKey,
    certificate_pem,
    generate_token_key,
    identity_key,
    make_card,
    make_tls_certificate,
    make_tls_leaf,
    open_token_key,
    verify_self_signed,
    verify_signature,
)
from hotline.errors import CardInvalid, CryptoError, SignatureInvalid, TokenUnavailable
from hotline.testing.softhsm import USER_PIN, SoftToken, token_or_skip


def _reload_softhsm(token: SoftToken, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point this process's SoftHSM2 at ``token``: it reads SOFTHSM2_CONF when initialised."""
    import pkcs11

    monkeypatch.setenv("SOFTHSM2_CONF", str(token.conf))
    pkcs11.lib(token.module).reinitialize()


@pytest.fixture
def soft_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftToken:
    token = token_or_skip(tmp_path / "softhsm")
    _reload_softhsm(token, monkeypatch)
    return token


@pytest.fixture(params=["software", "pkcs11"])
def identity(request: pytest.FixtureRequest) -> Iterator[Identity]:
    if request.param == "software":
        yield Identity.generate("Moscow")
        return
    token: SoftToken = request.getfixturevalue("soft_token")
    signer = generate_token_key(
        TokenKey(module=token.module, token_label=token.label, key_label="Moscow"),
        USER_PIN.encode(),
    )
    try:
        yield Identity(party="Moscow", signer=signer, encryption_key=X25519PrivateKey.generate())
    finally:
        signer.close()


def test_the_signer_is_a_signer_and_identity_sign_is_its_sign(identity: Identity) -> None:
    assert isinstance(identity.signer, Signer)
    assert identity.signer.public_key == identity.signing_public
    assert identity.sign == identity.signer.sign  # the bound method: no call in between


def test_signatures_verify_under_the_public_key_and_only_over_the_data(identity: Identity) -> None:
    signature = identity.sign(b"flash traffic")
    assert len(signature) == 64
    verify_signature(identity.signing_public, signature, b"flash traffic")
    with pytest.raises(SignatureInvalid):
        verify_signature(identity.signing_public, signature, b"flash traffic!")
    with pytest.raises(SignatureInvalid):
        verify_signature(Identity.generate("Other").signing_public, signature, b"flash traffic")


def test_signatures_are_deterministic_and_take_memoryviews(identity: Identity) -> None:
    assert identity.sign(b"abc") == identity.sign(memoryview(b"xabc")[1:])  # type: ignore[arg-type]
    assert identity.sign(b"") != identity.sign(b"abc")


def test_the_self_signed_certificate_and_the_card_come_from_the_signer(identity: Identity) -> None:
    der = make_tls_certificate(identity)
    verify_self_signed(der)
    assert identity_key(der, []) == identity.signing_public
    assert make_tls_certificate(identity) == der  # deterministic, as the card needs
    card = make_card(identity, routes=("127.0.0.1:9000",), timezone="UTC")
    assert card.signing_key == identity.signing_public
    assert card.certificate == der


def test_a_tls_leaf_is_issued_by_the_signing_key(identity: Identity) -> None:
    anchor = make_tls_certificate(identity)
    leaf = make_tls_leaf(identity, Ed25519PrivateKey.generate())
    assert x509.load_der_x509_certificate(leaf).issuer == (
        x509.load_der_x509_certificate(anchor).subject
    )
    assert identity_key(leaf, [make_tls_certificate(Identity.generate("Moscow")), anchor]) == (
        identity.signing_public
    )
    with pytest.raises(CardInvalid):  # not among the pinned anchors
        identity_key(leaf, [make_tls_certificate(Identity.generate("Moscow"))])
    # OpenSSL accepts the chain leaf → pinned anchor, as a peer's TLS will.
    store = ssl.create_default_context(cadata=certificate_pem(anchor))
    assert store.get_ca_certs(binary_form=True) == [anchor]


def test_describe_names_where_the_key_is(identity: Identity) -> None:
    description = identity.signer.describe()
    if isinstance(identity.signer, PKCS11Signer):
        assert description == "token hotline"
        with pytest.raises(CryptoError, match="cannot be read"):
            identity.signing_key  # noqa: B018 - the property raises
        assert not identity.in_software
    else:
        assert description == "software key"
        assert identity.in_software


def test_a_software_certificate_is_the_one_cryptography_signs() -> None:
    # The DER assembled around the signer's signature is byte for byte the
    # certificate cryptography would make with the key itself.
    key = Ed25519PrivateKey.generate()
    identity = Identity(party="Moscow", signing_key=key, encryption_key=X25519PrivateKey.generate())
    der = make_tls_certificate(identity)
    certificate = x509.load_der_x509_certificate(der)
    rebuilt = (
        x509.CertificateBuilder()
        .subject_name(certificate.subject)
        .issuer_name(certificate.issuer)
        .public_key(certificate.public_key())
        .serial_number(certificate.serial_number)
        .not_valid_before(certificate.not_valid_before_utc)
        .not_valid_after(certificate.not_valid_after_utc)
    )
    for extension in certificate.extensions:
        rebuilt = rebuilt.add_extension(extension.value, critical=extension.critical)
    from cryptography.hazmat.primitives import serialization

    assert rebuilt.sign(key, None).public_bytes(serialization.Encoding.DER) == der


def test_an_identity_needs_exactly_one_signing_key() -> None:
    encryption = X25519PrivateKey.generate()
    with pytest.raises(CryptoError, match="exactly one"):
        Identity(party="Moscow", encryption_key=encryption)
    key = Ed25519PrivateKey.generate()
    with pytest.raises(CryptoError, match="exactly one"):
        Identity(
            party="Moscow", signing_key=key, signer=SoftwareSigner(key), encryption_key=encryption
        )


def test_a_token_key_is_generated_once_and_opened_again(soft_token: SoftToken) -> None:
    where = TokenKey(module=soft_token.module, token_label=soft_token.label, key_label="Wash")
    made = generate_token_key(where, USER_PIN.encode())
    public = made.public_key
    made.close()
    with pytest.raises(TokenUnavailable, match="already holds a key labelled 'Wash'"):
        generate_token_key(where, USER_PIN.encode())
    opened = open_token_key(where, USER_PIN.encode())
    try:
        assert opened.public_key == public
        verify_signature(public, opened.sign(b"again"), b"again")
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"module": "/nonexistent/libnothing.so"}, "cannot load the PKCS#11 module"),
        ({"token_label": "absent"}, "no token labelled 'absent'"),
        ({"key_label": "Nobody"}, "holds no key labelled 'Nobody'"),
        ({"pin": "0000"}, "the PIN of token 'hotline' is wrong"),
    ],
)
def test_each_missing_piece_is_named(
    soft_token: SoftToken, change: dict[str, str], message: str
) -> None:
    fields = {"module": soft_token.module, "token_label": soft_token.label, "key_label": "Wash"}
    generate_token_key(TokenKey(**fields), USER_PIN.encode()).close()
    pin = change.pop("pin", USER_PIN)
    with pytest.raises(TokenUnavailable, match=message):
        open_token_key(TokenKey(**{**fields, **change}), pin.encode())
