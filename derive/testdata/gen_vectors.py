#!/usr/bin/env python3
"""Generate SES SMTP password test vectors independently of sesprov's Go code.

Uses only Python's hmac/hashlib/base64 and follows AWS's published algorithm:
kDate = HMAC-SHA256("AWS4" + secret, "11111111"), chained over the region,
"ses", "aws4_request" and "SendRawEmail"; 0x04 is prepended; base64.

Run from the repository root:
    python3 derive/testdata/gen_vectors.py > derive/testdata/vectors.json
The output is deterministic; derive's Go tests read the committed file (and,
where python3 exists, check that it is what this script prints).
"""
import base64
import hashlib
import hmac
import json
import random
import string


def sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret: str, region: str) -> str:
    sig = sign(("AWS4" + secret).encode("utf-8"), "11111111")
    for part in (region, "ses", "aws4_request", "SendRawEmail"):
        sig = sign(sig, part)
    return base64.b64encode(bytes([0x04]) + sig).decode("ascii")


REGIONS = [
    # SMTP_REGIONS of AWS's example script
    "us-east-2", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-2",
    "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-south-1", "eu-north-1",
    "sa-east-1", "us-gov-west-1", "us-gov-east-1",
    # the General Reference's additions
    "us-west-1", "eu-west-3", "ap-northeast-3",
]

KEY_CHARS = string.ascii_letters + string.digits + "+/"


def secrets():
    rnd = random.Random(20261121)
    # Realistic 40-character secret access keys.
    for _ in range(4):
        yield "".join(rnd.choice(KEY_CHARS) for _ in range(40))
    yield "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example secret
    yield ""  # derive itself accepts it; the CLI refuses it
    yield "+/+/+/+/=="
    yield "a" * 59  # "AWS4"+secret: 63 bytes
    yield "b" * 60  # 64 bytes: one block, used as the key as is
    yield "c" * 61  # 65 bytes: hashed first (RFC 2104)
    yield "d" * 200
    yield "é" * 30  # 60 bytes of UTF-8 in 30 characters
    yield "é" * 31  # 62 bytes: hashed
    yield "秘密のキー/🔑+" * 3
    yield "tab\tand space and\nnewline"


def main():
    vectors = []
    for s in secrets():
        for r in REGIONS:
            vectors.append({"secret": s, "region": r, "password": smtp_password(s, r)})
    # Unusual regions: derive is pure and takes any string.
    for s, r in [
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ap-east-1"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "x" * 64),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "y" * 65),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region-" * 40),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "région-ü-1"),
    ]:
        vectors.append({"secret": s, "region": r, "password": smtp_password(s, r)})
    for v in vectors:
        print(json.dumps(v, ensure_ascii=False))


if __name__ == "__main__":
    main()
