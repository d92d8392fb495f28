#!/usr/bin/env bash
# The AWS CLI script create-user --from is measured against: one `aws` process
# per call, as a shell script written from AWS's page does it. Group and policy
# once, then per user create-user, add-user-to-group, create-access-key.
#
#   internal/bench/awscli_batch.sh ENDPOINT_URL USERS_FILE
#
# Prints the wall time in seconds on stdout. The secrets go to /dev/null.
set -euo pipefail
url=$1 users=$2
export AWS_ACCESS_KEY_ID=AKIABENCHOPERATOR000 AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws() { command aws --endpoint-url "$url" --output json "$@"; }
start=$(date +%s.%N)
account=$(aws sts get-caller-identity --query Account --output text)
aws iam create-policy --policy-name AmazonSesSendingAccess \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}' >/dev/null 2>&1 || true
aws iam create-group --group-name AWSSESSendingGroupDoNotRename >/dev/null 2>&1 || true
aws iam attach-group-policy --group-name AWSSESSendingGroupDoNotRename \
  --policy-arn "arn:aws:iam::${account}:policy/AmazonSesSendingAccess" >/dev/null
while read -r u; do
  case $u in ''|'#'*) continue ;; esac
  aws iam create-user --user-name "$u" --tags Key=sesprov:created-by,Value=awscli-script >/dev/null
  aws iam add-user-to-group --group-name AWSSESSendingGroupDoNotRename --user-name "$u" >/dev/null
  aws iam create-access-key --user-name "$u" >/dev/null
done <"$users"
end=$(date +%s.%N)
python3 -c "print(round($end - $start, 3))"
