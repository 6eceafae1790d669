"""An independent DSSE implementation for Provenant's interoperability tests.

Written from the DSSE v1 specification (secure-systems-lab/dsse, protocol.md
and envelope.md) and the Sigstore bundle v0.3 JSON form (sigstore/protobuf-specs),
using only the standard library and Debian's python3-cryptography. It shares no
code with Provenant, so agreement between the two means the formats agree.

  dsse_interop.py verify DOCUMENT PUBLIC_KEY_PEM
      DOCUMENT is a Sigstore bundle, a DSSE envelope or a .intoto.jsonl file
      (first line). Prints a JSON summary; exit 0 when the signature verifies
      with the key and names it, 1 when it does not.

  dsse_interop.py sign ALGORITHM STATEMENT_JSON OUT_PREFIX
      ALGORITHM is ecdsa-p256 or ed25519. Generates a key in memory, signs the
      statement and writes OUT_PREFIX.pub (SPKI PEM), OUT_PREFIX.intoto.jsonl
      (the envelope) and OUT_PREFIX.sigstore.json (a bundle around it).
      The private key is never written.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    # DSSE protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
    # where LEN is the ASCII decimal byte count.
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def key_id(public_key) -> str:
    # Provenant's key id: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def verify_signature(public_key, signature: bytes, data: bytes) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        # Sigstore's key details pair P-256 with SHA-256 and P-384 with SHA-384.
        digest = hashes.SHA384() if public_key.curve.name == "secp384r1" else hashes.SHA256()
        public_key.verify(signature, data, ec.ECDSA(digest))
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    elif isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise SystemExit(f"unsupported key type {type(public_key).__name__}")


def read_envelope(path: str):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".jsonl"):
        text = text.splitlines()[0]
    document = json.loads(text)
    if "mediaType" in document:
        hint = document["verificationMaterial"]["publicKey"]["hint"]
        return document["dsseEnvelope"], hint
    return document, None


def verify(document_path: str, public_key_path: str) -> int:
    with open(public_key_path, "rb") as handle:
        public_key = serialization.load_pem_public_key(handle.read())
    envelope, hint = read_envelope(document_path)
    # validate=True: reject characters outside the standard alphabet instead of skipping them.
    payload = base64.b64decode(envelope["payload"], validate=True)
    signature = envelope["signatures"][0]
    expected_id = key_id(public_key)
    summary = {"keyid": signature.get("keyid"), "hint": hint, "expectedKeyid": expected_id}
    if envelope["payloadType"] != PAYLOAD_TYPE:
        print(json.dumps({**summary, "error": "wrong payloadType"}))
        return 1
    try:
        verify_signature(public_key, base64.b64decode(signature["sig"], validate=True), pae(envelope["payloadType"], payload))
    except InvalidSignature:
        print(json.dumps({**summary, "error": "signature does not verify"}))
        return 1
    statement = json.loads(payload)
    summary.update(
        verified=True,
        statementType=statement["_type"],
        predicateType=statement["predicateType"],
        subjects=statement["subject"],
    )
    print(json.dumps(summary))
    return 0 if signature.get("keyid") == expected_id and hint in (None, expected_id) else 1


def sign(algorithm: str, statement_path: str, out_prefix: str) -> int:
    if algorithm == "ecdsa-p256":
        private_key = ec.generate_private_key(ec.SECP256R1())
        sign_pae = lambda data: private_key.sign(data, ec.ECDSA(hashes.SHA256()))  # noqa: E731
    elif algorithm == "ed25519":
        private_key = ed25519.Ed25519PrivateKey.generate()
        sign_pae = private_key.sign
    else:
        raise SystemExit(f"unknown algorithm {algorithm}; expected ecdsa-p256 or ed25519")
    public_key = private_key.public_key()
    with open(statement_path, encoding="utf-8") as handle:
        statement = json.load(handle)
    # Python's own serialisation (", " and ": " separators), not Provenant's:
    # the verifier must check the bytes that were signed, never re-serialise.
    payload = json.dumps(statement).encode("utf-8")
    keyid = key_id(public_key)
    envelope = {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(sign_pae(pae(PAYLOAD_TYPE, payload))).decode("ascii")}],
    }
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": keyid}},
        "dsseEnvelope": envelope,
    }
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(f"{out_prefix}.pub", "wb") as handle:
        handle.write(pem)
    with open(f"{out_prefix}.intoto.jsonl", "w", encoding="utf-8") as handle:
        handle.write(json.dumps(envelope) + "\n")
    with open(f"{out_prefix}.sigstore.json", "w", encoding="utf-8") as handle:
        json.dump(bundle, handle, indent=2)
    print(json.dumps({"keyid": keyid}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "sign":
        sys.exit(sign(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(__doc__)
