#!/usr/bin/env python3
"""Mints the HS256 app tokens the Swift relay tests present (Foundation on Linux has no HMAC).

    mint_app_tokens.py SUBJECT...   # reads RELAY_APP_SECRET, RELAY_AUDIENCE, RELAY_KEY

Prints one JSON object: for each subject its tokens (`valid` for an hour, `expired` two minutes
ago, `wrongSignature`, `wrongAudience`) and the `userHash` the relay derives for it
(HMAC-SHA256 with the relay key over the label, then each of issuer (empty) and subject as a
big-endian u32 length and its bytes). Test values only; see scripts/lib/sandbox.sh.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, secret: str) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def user_hash(relay_key: str, issuer: str, subject: str) -> str:
    mac = hmac.new(relay_key.encode(), b"obauth-relay/v1/user-hash\0", hashlib.sha256)
    for part in (issuer.encode(), subject.encode()):
        mac.update(struct.pack(">I", len(part)) + part)
    return mac.hexdigest()


def main() -> None:
    secret = os.environ["RELAY_APP_SECRET"]
    audience = os.environ["RELAY_AUDIENCE"]
    relay_key = os.environ["RELAY_KEY"]
    now = int(time.time())
    out = {}
    for sub in sys.argv[1:]:
        claims = {"sub": sub, "aud": audience, "exp": now + 3600}
        out[sub] = {
            "valid": jwt(claims, secret),
            "expired": jwt({**claims, "exp": now - 120}, secret),
            "wrongSignature": jwt(claims, "not-the-app-secret-0123456789abcdef-0123"),
            "wrongAudience": jwt({**claims, "aud": "another-app"}, secret),
            "userHash": user_hash(relay_key, "", sub),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
