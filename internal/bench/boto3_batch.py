#!/usr/bin/env python3
"""The sequential boto3 script that create-user --from is measured against.

Same steps as sesprov, one user after another, as a typical hand-written
script does them: ensure the managed policy, the group and the attachment
once; then per user create_user (with a tag), add_user_to_group,
create_access_key, and the SMTP password per region (AWS's algorithm).

    python3 internal/bench/boto3_batch.py --endpoint-url URL --from users.txt --regions us-east-1,eu-west-1

Prints one JSON line on stdout: {"users": N, "seconds": S, "import_seconds": I}
where S is the time from the first IAM call to the last (the interpreter's
start and boto3's import are measured apart, in I). Secrets are discarded.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import time

T0 = time.monotonic()
import boto3  # noqa: E402
import botocore.config  # noqa: E402

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": "*"}],
})
GROUP = "AWSSESSendingGroupDoNotRename"
POLICY_NAME = "AmazonSesSendingAccess"


def smtp_password(secret, region):
    def sign(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()
    sig = sign(("AWS4" + secret).encode("utf-8"), "11111111")
    for part in (region, "ses", "aws4_request", "SendRawEmail"):
        sig = sign(sig, part)
    return base64.b64encode(bytes([0x04]) + sig).decode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint-url", required=True)
    ap.add_argument("--from", dest="users", required=True)
    ap.add_argument("--regions", default="us-east-1")
    a = ap.parse_args()
    names = [l.strip() for l in open(a.users) if l.strip() and not l.startswith("#")]
    regions = a.regions.split(",")
    cfg = botocore.config.Config(retries={"max_attempts": 3, "mode": "standard"})
    iam = boto3.client("iam", endpoint_url=a.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="AKIABENCHOPERATOR000", aws_secret_access_key="bench",
                       config=cfg)
    sts = boto3.client("sts", endpoint_url=a.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="AKIABENCHOPERATOR000", aws_secret_access_key="bench",
                       config=cfg)
    t_import = time.monotonic() - T0
    start = time.monotonic()

    account = sts.get_caller_identity()["Account"]
    arn = "arn:aws:iam::%s:policy/%s" % (account, POLICY_NAME)
    try:
        iam.create_policy(PolicyName=POLICY_NAME, PolicyDocument=POLICY)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    try:
        iam.create_group(GroupName=GROUP)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    iam.attach_group_policy(GroupName=GROUP, PolicyArn=arn)

    for n in names:
        iam.create_user(UserName=n, Tags=[{"Key": "sesprov:created-by", "Value": "boto3-script"}])
        iam.add_user_to_group(GroupName=GROUP, UserName=n)
        key = iam.create_access_key(UserName=n)["AccessKey"]
        for r in regions:
            smtp_password(key["SecretAccessKey"], r)
    took = time.monotonic() - start
    json.dump({"users": len(names), "seconds": round(took, 4), "import_seconds": round(t_import, 4)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
