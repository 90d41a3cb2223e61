"""bench.lean: the RFC 6962 root against the published vectors, and a real tiny burst."""

from __future__ import annotations

import json

import pytest
from bench.lean import _Inbound, _keys, _Outbound, lean_throughput, main, merkle_root

# transparency-dev/merkle testonly/constants.go: the roots of the first 1..8 leaves.
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_merkle_root_matches_rfc6962_vectors() -> None:
    assert merkle_root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    for size, root in enumerate(ROOTS, start=1):
        assert merkle_root(LEAVES[:size]).hex() == root


def test_the_two_sides_do_the_real_work_and_catch_tampering() -> None:
    sender_keys, receiver_keys = _keys()
    outbound, inbound = _Outbound(sender_keys), _Inbound(receiver_keys)
    rows = [outbound.seal(f"m{i}") for i in range(1005)]  # crosses an epoch (1000)
    accepted = [inbound.accept(envelope) for _, _, envelope in rows[:1003]]
    assert [serial for serial, _, _ in accepted] == list(range(1, 1004))
    assert outbound.check_receipt(inbound.receipt(accepted[1000:])) == (1001, 1003)
    tampered = bytearray(rows[1003][2])
    tampered[-5] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - nacl's BadSignatureError
        inbound.accept(bytes(tampered))
    forged = bytearray(inbound.receipt(accepted[:2]))
    forged[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017
        outbound.check_receipt(bytes(forged))


def test_a_tiny_burst_and_its_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert lean_throughput(30, batch=7) > 0
    main(["--n", "20", "--batch", "6", "--json"])
    lines = capsys.readouterr().out.splitlines()
    result = json.loads(lines[-1])
    assert result["bench"] == "lean"
    assert result["figures"]["lean_crypto_msg_s"] > 0
    assert {"n", "batch", "python", "cpu_count", "commit"} <= set(result["parameters"])
