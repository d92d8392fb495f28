package rotate

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// TagKey is the user tag that records a rotation in progress, so that a
// rotation cut short and run again finishes the job instead of guessing (see
// docs/design.md, "rotate"). Its values:
//
//	started:<KEYS>@<T>@<RUN>
//	                  written before CreateAccessKey; KEYS are the user's
//	                  keys at that moment, comma-separated ("none" when it
//	                  had none), T the Unix time the run started, RUN a
//	                  random id of the run that owns the rotation. Any key
//	                  not in KEYS is this rotation's, and its secret never
//	                  reached anyone: a re-run deletes it — once the tag is
//	                  older than the lease (StaleAfter), since a younger one
//	                  may belong to a run still in progress. The owning run
//	                  reads the tag back before each step that counts (before
//	                  CreateAccessKey, before delivery, before writing
//	                  delivered:) and stops if another run's id is there.
//	                  (Older sesprov wrote started:<OLD>@<T>: read as KEYS.)
//	delivered:<NEW>@<T>[@<GRACE>]
//	                  written once NEW's credentials were delivered, T the
//	                  delivery time (RFC 3339, UTC), GRACE the --grace of
//	                  that run (a Go duration, absent for 0). A re-run
//	                  retires every other key and removes the tag; with a
//	                  grace period (the recorded one, which a later run's
//	                  --grace cannot shorten), not before T plus the grace
//	                  period, and only if the superseded key was not used
//	                  late in it (see grace.go). (Older sesprov wrote
//	                  delivered:<NEW>: read as delivered at an unknown time.)
const TagKey = "sesprov:rotation"

const (
	recordStarted   = "started:"
	recordDelivered = "delivered:"
	recordNoOldKey  = "none"
)

// newStartedRecord is the started:<KEYS>@<T>@<RUN> tag value.
func newStartedRecord(existing []string, now time.Time) (string, error) {
	var run [8]byte
	if _, err := rand.Read(run[:]); err != nil {
		return "", fmt.Errorf("make a run id: %w", err)
	}
	keys := recordNoOldKey
	if len(existing) > 0 {
		keys = strings.Join(existing, ",")
	}
	return fmt.Sprintf("%s%s@%d@%s", recordStarted, keys, now.Unix(), hex.EncodeToString(run[:])), nil
}

// deliveredRecord is the delivered:<NEW>@<T>[@<GRACE>] tag value.
func deliveredRecord(newKey string, at time.Time, grace time.Duration) string {
	v := recordDelivered + newKey + "@" + at.UTC().Format(time.RFC3339)
	if grace > 0 {
		v += "@" + grace.String()
	}
	return v
}

// parseDelivered reads NEW[@T[@GRACE]]; at is zero for the older form.
func parseDelivered(v string) (newKey string, at time.Time, grace time.Duration) {
	newKey, rest, _ := strings.Cut(v, "@")
	ts, g, _ := strings.Cut(rest, "@")
	at, _ = time.Parse(time.RFC3339, ts)
	grace, _ = time.ParseDuration(g)
	return newKey, at, max(grace, 0)
}

type startedRecord struct {
	keys []string // the keys present when the rotation started
	at   time.Time
}

// parseStarted reads KEYS@UNIXTIME[@RUN]. A record without a time is taken
// as old.
func parseStarted(v string) startedRecord {
	ids, rest, _ := strings.Cut(v, "@")
	var st startedRecord
	for _, id := range strings.Split(ids, ",") {
		if id != "" && id != recordNoOldKey {
			st.keys = append(st.keys, id)
		}
	}
	ts, _, _ := strings.Cut(rest, "@")
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
		st.at = time.Unix(n, 0)
	}
	return st
}

func (st startedRecord) names(id string) bool { return slices.Contains(st.keys, id) }

// age is how long ago the rotation started. T is the writer's clock. A key
// the record does not name was made by that run after it wrote the record,
// and its CreateDate is IAM's clock: the younger of the two ages counts, so a
// writer whose clock runs slow is not taken for dead while its key is fresh.
func (st startedRecord) age(keys []types.AccessKeyMetadata, now time.Time) time.Duration {
	age := now.Sub(st.at)
	for _, k := range keys {
		if c := aws.ToTime(k.CreateDate); !c.IsZero() && !st.names(aws.ToString(k.AccessKeyId)) {
			age = min(age, now.Sub(c))
		}
	}
	return age
}

// tagUser writes the user's tags in one TagUser call. what says why, for the
// error.
func tagUser(ctx context.Context, client iamapi.IAM, user, what string, tags ...types.Tag) error {
	_, err := client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(user), Tags: tags})
	if err != nil {
		var kv []string
		for _, t := range tags {
			kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		return fmt.Errorf("TagUser %s %s (%s): %w", user, strings.Join(kv, " "), what, err)
	}
	return nil
}

func tagRotation(ctx context.Context, client iamapi.IAM, user, value string) error {
	return tagUser(ctx, client, user, "record the rotation's progress", tag(TagKey, value))
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func findKey(keys []types.AccessKeyMetadata, id string) (types.AccessKeyMetadata, bool) {
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == id {
			return k, true
		}
	}
	return types.AccessKeyMetadata{}, false
}

// oldest returns the key created first; keys is not empty.
func oldest(keys []types.AccessKeyMetadata) types.AccessKeyMetadata {
	return slices.MinFunc(keys, func(a, b types.AccessKeyMetadata) int {
		return aws.ToTime(a.CreateDate).Compare(aws.ToTime(b.CreateDate))
	})
}

func describeKeys(keys []types.AccessKeyMetadata) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s created %s", aws.ToString(k.AccessKeyId), aws.ToTime(k.CreateDate).UTC().Format("2006-01-02")))
	}
	return strings.Join(parts, ", ")
}

func defaultString(s, def string) string { return cmp.Or(s, def) }
