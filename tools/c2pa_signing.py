"""Sign images with real C2PA manifests for tests (c2pa-python + a throw-away certificate chain).

The chain (a test CA and an ES256 signing certificate with the key usages C2PA requires) is
made with ``cryptography`` on the fly: nothing secret is stored in the repository, and no
timestamp authority or network is used. Not shipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

_ACTIONS = {
    "label": "c2pa.actions",
    "data": {
        "actions": [
            {
                "action": "c2pa.created",
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
            }
        ]
    },
}


@functools.cache
def _chain() -> tuple[bytes, bytes]:
    """(certificate chain PEM, private key PEM) of a fresh test signer."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "corpus-audit tests")])  # fmt: skip

    start = dt.datetime(2025, 1, 1)
    end = start + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("Test CA")).issuer_name(name("Test CA"))
        .public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(name("Test signer")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(2)
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    chain = cert.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private


def signed_jpeg(jpeg: bytes, entries: dict[str, str], label: str = "c2pa.training-mining") -> bytes:
    """``jpeg`` with a signed C2PA manifest holding a training-and-data-mining assertion whose
    entries have the given ``use`` values, e.g. ``{"c2pa.ai_training": "allowed"}``."""
    import c2pa

    chain, key = _chain()
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "corpus-audit-tests", "version": "1"}],
        "assertions": [
            _ACTIONS,
            {"label": label, "data": {"entries": {k: {"use": v} for k, v in entries.items()}}},
        ],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key, None))
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(jpeg), out)
    return out.getvalue()


def tamper_pixels(signed: bytes) -> bytes:
    """The signed file with one byte of its image data changed (the hash binding breaks)."""
    data = bytearray(signed)
    data[-200] ^= 0xFF
    return bytes(data)


def tamper_manifest(signed: bytes, old: bytes, new: bytes) -> bytes:
    """The signed file with ``old`` replaced by ``new`` (same length) inside the manifest."""
    assert len(old) == len(new)
    return signed.replace(old, new, 1)
