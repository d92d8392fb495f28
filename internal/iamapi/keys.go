package iamapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
)

// AddUserToGroupChecked adds user to group (iam:AddUserToGroup). Adding a
// member again succeeds, so it is safe to repeat; NoSuchEntity right after
// the user or the group was made is IAM's eventual consistency and is waited
// out (see WithConsistencyTimeout).
func AddUserToGroupChecked(ctx context.Context, api IAM, user, group string) error {
	err := WaitConsistent(ctx, func() error {
		_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(user), GroupName: aws.String(group)})
		return err
	})
	if err != nil {
		return fmt.Errorf("iam:AddUserToGroup %s to group %s: %w", user, group, err)
	}
	return nil
}

// WaitForGroupMembership polls iam:ListGroupsForUser until user is seen in
// group, within the consistency bound. Use it before removing another grant
// the membership replaces (migrate).
func WaitForGroupMembership(ctx context.Context, api IAM, user, group string) error {
	notYet := &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "membership not visible yet"}
	err := WaitConsistent(ctx, func() error {
		p := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, g := range page.Groups {
				if strings.EqualFold(aws.ToString(g.GroupName), group) { // IAM names are case-insensitive
					return nil
				}
			}
		}
		return notYet
	})
	if err != nil {
		return fmt.Errorf("iam:ListGroupsForUser %s (waiting to see it in group %s): %w", user, group, err)
	}
	return nil
}

// ListAccessKeyIDs returns the ids of user's access keys (iam:ListAccessKeys).
func ListAccessKeyIDs(ctx context.Context, api IAM, user string) ([]string, error) {
	keys, err := ListAccessKeys(ctx, api, user)
	return KeyIDs(keys), err
}

// KeyIDs are the ids of keys, in their order.
func KeyIDs(keys []types.AccessKeyMetadata) []string {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	return ids
}

// ListAccessKeys returns user's access keys with their status (iam:ListAccessKeys).
func ListAccessKeys(ctx context.Context, api IAM, user string) ([]types.AccessKeyMetadata, error) {
	var keys []types.AccessKeyMetadata
	p := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam:ListAccessKeys for user %s: %w", user, err)
		}
		keys = append(keys, page.AccessKeyMetadata...)
	}
	return keys, nil
}

// CreateAccessKeySafe creates an access key for user and returns its id and
// secret, never leaving behind a key whose secret nobody saw. It lists the
// user's keys first (iam:ListAccessKeys); CreateAccessKeyAfter skips that
// list when the caller knows the keys already.
func CreateAccessKeySafe(ctx context.Context, api IAM, user string) (keyID string, secret redact.Secret, err error) {
	existing, err := ListAccessKeyIDs(ctx, api, user)
	if err != nil {
		return "", redact.Secret{}, err
	}
	return CreateAccessKeyAfter(ctx, api, user, existing)
}

// keyAttempts bounds CreateAccessKeyAfter's own retries.
// CleanupTimeout bounds the calls that undo a change after a failure or an
// interrupt; they run on a fresh context.
const CleanupTimeout = 30 * time.Second

const keyAttempts = 6

// CreateAccessKeyAfter is CreateAccessKeySafe for a caller that knows the
// user's keys before the call (existing; empty for a user just made).
//
// Why sesprov retries CreateAccessKey itself: the secret is returned once, in
// the response. When that response is lost (connection reset, timeout, a 5xx
// from a proxy after IAM acted), the SDK's retryer would simply call again:
// IAM makes a second key, the first key's secret is gone for good, and under
// IAM's two-key limit the retry of a rotation fails with LimitExceeded while
// the orphan stays. So the SDK's retries are turned off for this one call,
// and after any failure that may have acted, the user's keys are listed and
// every key not in existing is deleted (its secret was never seen) before
// trying again. After success following such a failure, the keys are listed
// once more (until the returned key is visible, in case the listing lags)
// and any other new key is deleted: at the end the user has existing plus
// exactly the key returned.
func CreateAccessKeyAfter(ctx context.Context, api IAM, user string, existing []string) (keyID string, secret redact.Secret, err error) {
	noRetry := func(o *iam.Options) { o.RetryMaxAttempts = 1 }
	classify := NewRetryer(0)
	mayHaveActed := false
	unseen := 0    // NoSuchEntity answers: the user is not visible yet
	throttled := 0 // Throttling answers (the limiter does not send this call again)
	deadline := time.Now().Add(consistencyTimeout(ctx))
	throttleDeadline := time.Now().Add(ThrottleBudget)
	for attempt := 1; ; attempt++ {
		out, err := createAccessKeyUninterrupted(ctx, api, user, noRetry)
		if err == nil && ctx.Err() != nil {
			return "", redact.Secret{}, deleteInterruptedKey(ctx, api, user, aws.ToString(out.AccessKey.AccessKeyId))
		}
		if err == nil {
			id := aws.ToString(out.AccessKey.AccessKeyId)
			secret := redact.NewSecret(aws.ToString(out.AccessKey.SecretAccessKey))
			if mayHaveActed {
				if rerr := removeUnseenKeys(ctx, api, user, append(slices.Clone(existing), id), id); rerr != nil {
					// The new key is good; a stray one remains. Say so.
					return id, secret, fmt.Errorf("access key %s was created, but a key from a lost earlier response may remain: %w; check with 'aws iam list-access-keys --user-name %s'", id, rerr, user)
				}
			}
			return id, secret, nil
		}
		if ctx.Err() != nil {
			return "", redact.Secret{}, removeKeyOfLostAnswer(ctx, api, user, existing)
		}
		// Right after CreateUser the user can be unseen: nothing was made.
		if HasCode(err, "NoSuchEntity") && time.Now().Before(deadline) {
			unseen++
			if serr := SleepCtx(ctx, backoff(unseen, 200*time.Millisecond, 2*time.Second)); serr != nil {
				return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s: %w", user, serr)
			}
			attempt--
			continue
		}
		// Throttling: IAM is not known to act before it throttles, but the
		// user's keys are checked for one made anyway before calling again
		// (paced by the run's limiter, which has slowed down), for as long
		// as the limiter sends any other call again (ThrottleBudget).
		if IsThrottle(err) && time.Now().Before(throttleDeadline) {
			throttled++
			mayHaveActed = true
			if rerr := removeUnseenKeys(ctx, api, user, existing, ""); rerr != nil {
				return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s was throttled (%v) and the check for a key made anyway failed: %w", user, err, rerr)
			}
			if serr := SleepCtx(ctx, jitter(min(50*time.Millisecond*time.Duration(throttled), time.Second))); serr != nil {
				return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s: %w", user, serr)
			}
			attempt--
			continue
		}
		if IsThrottle(err) {
			return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s: %w", user, &throttleExhausted{err: err, budget: ThrottleBudget, attempts: throttled + 1})
		}
		if !classify.IsErrorRetryable(err) || attempt >= keyAttempts {
			return "", redact.Secret{}, giveUpCreateKey(ctx, api, user, existing, err)
		}
		if mightHaveActed(err) {
			mayHaveActed = true
			if rerr := removeUnseenKeys(ctx, api, user, existing, ""); rerr != nil {
				return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s failed (%v) and the check for a key made anyway failed: %w", user, err, rerr)
			}
		}
		if serr := SleepCtx(ctx, backoff(attempt, 500*time.Millisecond, retryMaxBackoff)); serr != nil {
			return "", redact.Secret{}, fmt.Errorf("iam:CreateAccessKey for user %s: %w", user, serr)
		}
	}
}

// deleteInterruptedKey deletes key id, made while the run was interrupted:
// its answer came (the call itself is not cancelled), so the key is known.
func deleteInterruptedKey(ctx context.Context, api IAM, user, id string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	if derr := DeleteAccessKey(cctx, api, user, id); derr != nil {
		return fmt.Errorf("iam:CreateAccessKey for user %s interrupted (%w) after IAM made key %s, and deleting it failed: %w; delete it with 'aws iam delete-access-key --user-name %s --access-key-id %s'", user, ctx.Err(), id, derr, user, id)
	}
	return fmt.Errorf("iam:CreateAccessKey for user %s: %w (the key IAM made, %s, was deleted)", user, ctx.Err(), id)
}

// removeKeyOfLostAnswer handles an interrupt whose call failed too (no answer
// within its grace period): the request may have acted, and IAM's listing
// can lag behind. It watches the list for a while and deletes any new key;
// if none shows, it says plainly that one may still appear.
func removeKeyOfLostAnswer(ctx context.Context, api IAM, user string, existing []string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	found, rerr := pollUnseenKeys(cctx, api, user, existing, interruptedKeyWatch)
	cancel()
	switch {
	case rerr != nil:
		return fmt.Errorf("iam:CreateAccessKey for user %s interrupted (%w); a key may have been made whose secret nobody saw, and listing keys to remove it failed: %w; check with 'aws iam list-access-keys --user-name %s' and delete any key you did not receive", user, ctx.Err(), rerr, user)
	case found:
		return fmt.Errorf("iam:CreateAccessKey for user %s: %w (the key IAM made was deleted)", user, ctx.Err())
	}
	return fail.Conflictf("iam:CreateAccessKey for user %s interrupted (%v) with no answer from IAM; no new key showed within %s, but a key may still exist whose secret nobody saw: check with 'aws iam list-access-keys --user-name %s' and delete any key you did not receive ('aws iam delete-access-key --user-name %s --access-key-id ID'), then run the command again", user, ctx.Err(), interruptedKeyWatch, user, user)
}

// giveUpCreateKey is the final error of a CreateAccessKey that will not be
// sent again; a key the failed request may have made is removed first.
func giveUpCreateKey(ctx context.Context, api IAM, user string, existing []string, err error) error {
	if mightHaveActed(err) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
		_ = removeUnseenKeys(cctx, api, user, existing, "")
		cancel()
	}
	if HasCode(err, "LimitExceeded") {
		return fail.Conflictf("iam:CreateAccessKey for user %s: the user already has IAM's maximum of 2 access keys (%v); use 'sesprov rotate --user-name %s'", user, err, user)
	}
	return fmt.Errorf("iam:CreateAccessKey for user %s: %w", user, err)
}

// createKeyGrace bounds how long an interrupted run still waits for the
// answer of a CreateAccessKey already sent: the call is not cancelled with
// the run, so a key IAM makes is known by its id and can be deleted.
var createKeyGrace = 10 * time.Second

// interruptedKeyWatch is how long an interrupted run whose CreateAccessKey
// got no answer watches the user's keys for one it may have made.
var interruptedKeyWatch = 5 * time.Second

// createAccessKeyUninterrupted calls iam:CreateAccessKey with a context that
// outlives ctx's cancellation by createKeyGrace: Ctrl-C or SIGHUP while the
// call is in flight lets its answer (and the new key's id) arrive.
func createAccessKeyUninterrupted(ctx context.Context, api IAM, user string, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(createKeyGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel()
		}
	}()
	out, err := api.CreateAccessKey(cctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}, optFns...)
	if err == nil && (out.AccessKey == nil || aws.ToString(out.AccessKey.AccessKeyId) == "") {
		// An answer without the key (a proxy's empty 200): IAM may have
		// made one; treated like a lost answer.
		return nil, errors.New("iam:CreateAccessKey answered without an access key")
	}
	return out, err
}

// pollUnseenKeys lists user's keys until one not in keep shows up or watch
// has passed, and deletes every such key. found says whether there was one.
func pollUnseenKeys(ctx context.Context, api IAM, user string, keep []string, watch time.Duration) (found bool, err error) {
	deadline := time.Now().Add(watch)
	for attempt := 1; ; attempt++ {
		keys, err := ListAccessKeyIDs(ctx, api, user)
		if err != nil {
			return false, err
		}
		for _, k := range keys {
			if slices.Contains(keep, k) {
				continue
			}
			found = true
			if err := DeleteAccessKey(ctx, api, user, k); err != nil {
				return found, err
			}
		}
		if found || time.Now().After(deadline) {
			return found, nil
		}
		if err := SleepCtx(ctx, min(backoff(attempt, 250*time.Millisecond, time.Second), time.Until(deadline)+time.Millisecond)); err != nil {
			return false, err
		}
	}
}

// mightHaveActed reports whether a failed call may have been carried out by
// IAM: no answer at all (transport error) or a server-side 5xx. A 4xx answer
// (throttling, access denied, …) means it was not.
func mightHaveActed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		var re *smithyhttp.ResponseError
		return errors.As(err, &re) && re.HTTPStatusCode() >= 500
	}
	return true // no answer: it may have been carried out
}

// removeUnseenKeys deletes every key of user that is not in keep. When want
// is set, the listing is repeated (within the consistency bound) until that
// key is visible, so a lagging listing does not hide a stray key made before
// it.
func removeUnseenKeys(ctx context.Context, api IAM, user string, keep []string, want string) error {
	deadline := time.Now().Add(consistencyTimeout(ctx))
	var keys []string
	for attempt := 1; ; attempt++ {
		var err error
		keys, err = ListAccessKeyIDs(ctx, api, user)
		if err != nil {
			return err
		}
		if want == "" || slices.Contains(keys, want) || time.Now().After(deadline) {
			break
		}
		if err := SleepCtx(ctx, backoff(attempt, 200*time.Millisecond, 2*time.Second)); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if slices.Contains(keep, k) {
			continue
		}
		if err := DeleteAccessKey(ctx, api, user, k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteAccessKey deletes a key; NoSuchEntity (already gone) is success.
func DeleteAccessKey(ctx context.Context, api IAM, user, keyID string) error {
	_, err := api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)})
	if err != nil && !HasCode(err, "NoSuchEntity") {
		return fmt.Errorf("iam:DeleteAccessKey %s of user %s: %w", keyID, user, err)
	}
	return nil
}

func backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base << min(attempt-1, 16)
	if d > limit || d <= 0 {
		d = limit
	}
	// Full jitter in [d/2, d): concurrent runs spread out.
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func SleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
