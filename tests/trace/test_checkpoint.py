"""Signed checkpoints in the C2SP signed-note format, checked against Go's sumdb/note vector."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nongso.trace.checkpoint import (
    Checkpoint,
    CheckpointError,
    key_hash,
    open_note,
    parse_signed_note,
    public_key_bytes,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_signed_note,
)

# The example of golang.org/x/mod/sumdb/note (its package documentation and tests).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F" \
    "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def _go_key() -> Ed25519PrivateKey:
    raw = base64.b64decode(GO_SIGNER.split("+", 4)[-1])
    assert raw[0] == 1
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


def test_signing_reproduces_the_go_note_byte_for_byte() -> None:
    key = _go_key()
    assert sign_note(GO_TEXT, key, "PeterNeumann") == GO_NOTE
    public = public_key_bytes(key.public_key())
    assert verifier_key("PeterNeumann", public) == GO_VERIFIER
    assert key_hash("PeterNeumann", public).hex() == "c74f20a3"
    assert open_note(GO_NOTE, "PeterNeumann", public) == GO_TEXT
    with pytest.raises(CheckpointError):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), "PeterNeumann", public)


def test_checkpoint_round_trip_and_tampering() -> None:
    key = Ed25519PrivateKey.generate()
    public = public_key_bytes(key.public_key())
    cp = Checkpoint("nongso.example/trace/82", 1234, bytes(range(32)))
    note = sign_checkpoint(cp, key, cp.origin)
    assert note.startswith("nongso.example/trace/82\n1234\n")
    assert verify_signed_note(note, cp.origin, public) == cp
    parsed, signatures = parse_signed_note(note)
    assert parsed == cp and signatures[0][0] == cp.origin
    tampered = note.replace("\n1234\n", "\n1235\n")
    with pytest.raises(CheckpointError):
        verify_signed_note(tampered, cp.origin, public)
    other = public_key_bytes(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CheckpointError):
        verify_signed_note(note, cp.origin, other)


@pytest.mark.parametrize("text", [
    "no blank line", "origin\nx\nAAAA\n\n— k AAAAAAAA\n", "origin\n01\nAAAA\n\n— k AAAAAAAA\n",
    "origin\n1\nnot-base64\n\n— k AAAAAAAA\n", "origin\n1\n" + "A" * 44 + "\n\nbad line\n",
])
def test_malformed_notes_are_rejected(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_signed_note(text)
