"""Signed checkpoints of the Merkle log: the C2SP ``tlog-checkpoint`` text in a signed note.

A checkpoint says "the log ``origin`` had ``size`` leaves with tree head ``root``"::

    nongso.example.vn/trace/82
    1234
    3q2+7w...base64 of the 32-byte root...=
                                                   (a blank line)
    — nongso.example.vn/trace/82 AbCdEf...base64 of key hash (4 bytes) + Ed25519 signature...

The format is the C2SP signed-note / tlog-checkpoint one used by the transparency logs of the
Go checksum database and Sigstore, so their verifiers (``golang.org/x/mod/sumdb/note``) check
our checkpoints unchanged. The key hash is the first 4 bytes of
SHA-256(key name || "\\n" || 0x01 || public key), 0x01 naming Ed25519.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "key_hash",
    "open_note",
    "parse_signed_note",
    "public_key_bytes",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_signed_note",
]

_ED25519 = b"\x01"
_DASH = "\u2014"  # the em dash that starts a signature line


class CheckpointError(ValueError):
    """A checkpoint text that cannot be parsed or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The checkpoint text that is signed (three lines, each ending with a newline)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of a signed-note Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key string ``name+hexhash+base64(0x01 || key)`` of signed notes."""
    return f"{name}+{key_hash(name, public_key).hex()}+" + base64.b64encode(
        _ED25519 + public_key
    ).decode()


def sign_note(text: str, key: Ed25519PrivateKey, name: str) -> str:
    """A signed note: ``text`` (ending with a newline), a blank line, one signature line."""
    if not text.endswith("\n"):
        raise CheckpointError("the text of a signed note ends with a newline")
    signature = key.sign(text.encode())
    public = public_key_bytes(key.public_key())
    encoded = base64.b64encode(key_hash(name, public) + signature).decode()
    return f"{text}\n{_DASH} {name} {encoded}\n"


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey, name: str) -> str:
    """The signed note of ``checkpoint``."""
    return sign_note(checkpoint.body(), key, name)


def open_note(text: str, name: str, public_key: bytes) -> str:
    """The text of a signed note if it carries a valid signature by the key ``name``."""
    body, sep, signatures = text.partition("\n\n")
    if not sep:
        raise CheckpointError("a signed note is a text, a blank line and signature lines")
    wanted = key_hash(name, public_key)
    key = Ed25519PublicKey.from_public_bytes(public_key)
    for signer, hash_, signature in _signature_lines(signatures):
        if signer == name and hash_ == wanted:
            try:
                key.verify(signature, (body + "\n").encode())
            except InvalidSignature as exc:
                raise CheckpointError("the signature does not verify") from exc
            return body + "\n"
    raise CheckpointError(f"the note is not signed by the key {name!r}")


def _signature_lines(signatures: str) -> list[tuple[str, bytes, bytes]]:
    parsed: list[tuple[str, bytes, bytes]] = []
    for line in signatures.rstrip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH:
            raise CheckpointError(f"not a signature line: {line!r}")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise CheckpointError("the signature is not base64") from exc
        if len(raw) < 5:
            raise CheckpointError("the signature is too short")
        parsed.append((parts[1], raw[:4], raw[4:]))
    return parsed


def parse_signed_note(text: str) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """The checkpoint and its signatures (name, key hash, signature) of a signed note."""
    body, sep, signatures = text.partition("\n\n")
    if not sep or not body:
        raise CheckpointError("a signed note is a text, a blank line and signature lines")
    lines = body.split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a size and a root hash line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise CheckpointError(f"the tree size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError as exc:
        raise CheckpointError("the root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root), _signature_lines(signatures)


def verify_signed_note(text: str, name: str, public_key: bytes) -> Checkpoint:
    """The checkpoint of ``text`` if it carries a valid signature by the key ``name``."""
    open_note(text, name, public_key)
    return parse_signed_note(text)[0]
