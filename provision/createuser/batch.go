package createuser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/scope"
)

// A batch (create-user --from FILE) makes many users at once:
//
//   - every line of the file is checked before any change (ReadUserNames);
//   - the group and the policy are ensured once, for the whole batch;
//   - each user then costs CreateUser (with its tags), AddUserToGroup and
//     CreateAccessKey — three calls, the floor — made in Concurrency slots
//     paced by the clients' AdaptiveLimiter;
//   - a user's failure stays that user's: the others go on, and the batch
//     exits 1 naming who failed and why. Every step is safe to repeat, so
//     running the same file again finishes the failed users, and reports
//     the users already done (an SMTP user with an access key) as "exists"
//     without touching them. This differs from a single create-user, where
//     a user with a key is a conflict (exit 3): in a batch it is the normal
//     state of a line a previous run finished.
//
// See docs/batch.md.

// DefaultConcurrency is the number of users a batch works on at once. Each
// such slot has at most one IAM call in flight, so this also bounds the
// calls in flight; the limiter bounds their rate.
const (
	DefaultConcurrency = 8
	MaxConcurrency     = 64
)

// Batch outcomes of one user (the "status" of its JSON object).
const (
	StatusCreated   = "created"   // made by this run
	StatusCompleted = "completed" // left key-less by an earlier run; finished now
	StatusExists    = "exists"    // already done: an SMTP user with an access key
	StatusFailed    = "failed"
	StatusConflict  = "conflict" // needs a decision (e.g. a user that is not an SMTP user)
)

func (in *Options) validateBatch() error {
	if len(in.Done) > 0 && !in.Batch {
		return fail.Usagef("--done applies to a batch: use it with --from FILE")
	}
	if in.Concurrency < 0 || in.Concurrency > MaxConcurrency {
		return fail.Usagef("--concurrency %d: give 1 to %d (default %d)", in.Concurrency, MaxConcurrency, DefaultConcurrency)
	}
	return nil
}

// ReadUserNames reads a --from file: one user name per line, surrounding
// spaces trimmed, blank lines and # comments skipped. Every line is checked
// and every bad one named (with its line number) in one usage error, so a
// file is fixed in one go; nothing is changed before it is all good.
func ReadUserNames(r io.Reader, name string) ([]string, error) {
	var names, bad []string
	var lines []int          // the line of each name
	seen := map[string]int{} // lower-case name -> line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if err := provision.ValidateUserName(s); err != nil {
			bad = append(bad, fmt.Sprintf("line %d: %v", line, err))
			continue
		}
		k := strings.ToLower(s)
		if first, dup := seen[k]; dup {
			why := ""
			if names[slices.Index(lines, first)] != s {
				why = " (IAM names are case-insensitive)"
			}
			bad = append(bad, fmt.Sprintf("line %d: user %q is already on line %d%s", line, s, first, why))
			continue
		}
		seen[k] = line
		lines = append(lines, line)
		names = append(names, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fail.Usagef("--from %s: %v", name, err)
	}
	if len(bad) > 0 {
		return nil, fail.Usagef("--from %s has %d bad line(s); nothing was changed:\n  %s", name, len(bad), strings.Join(bad, "\n  "))
	}
	if len(names) == 0 {
		return nil, fail.Usagef("--from %s lists no user", name)
	}
	return names, nil
}

// Outcome is how one batch user ended.
type Outcome struct {
	User   string
	Status string // Status*
	Err    error  // why it failed or needs a decision
	Done   int    // users ended so far, this one included
	Total  int
}

// batchJob is one user's state in a batch.
type batchJob struct {
	job    *userJob
	access *batchAccess
	done   bool     // already done (exists): nothing more to do
	keys   []string // its keys, when done
	joined bool     // this run made the user and tried to add it to the group
	status string
	err    error
}

// batchAccess is the sending access of a batch, ensured once while the
// first users are being made (their CreateUser calls need no group): users
// wait for it before joining the group.
type batchAccess struct {
	ready  chan struct{}
	sa     provision.SendingAccess
	err    error
	parked chan struct{} // bounds the users waiting for it without a slot
}

func (a *batchAccess) isReady() bool {
	select {
	case <-a.ready:
		return true
	default:
		return false
	}
}

// wait returns the sending access once it is ensured.
func (a *batchAccess) wait(ctx context.Context) (provision.SendingAccess, error) {
	select {
	case <-a.ready:
		if a.err != nil {
			return a.sa, fmt.Errorf("the sending group is not ready: %w", a.err)
		}
		return a.sa, nil
	case <-ctx.Done():
		return provision.SendingAccess{}, ctx.Err()
	}
}

// batchStatus is the status create-user's JSON shows for a delivered user
// in a batch; "" for a single user.
func (j *userJob) batchStatus() string {
	if j.batch == nil {
		return ""
	}
	if j.created {
		return StatusCreated
	}
	return StatusCompleted
}

// judgeExisting decides about a batch user that exists, for a run and a dry
// run alike: without a key it is completed (an earlier run cut short); with
// one it is done — left as is, not re-keyed — unless it is not an SMTP user or
// its only key may be a killed run's orphan (conflicts).
func (b *batchJob) judgeExisting(ctx context.Context, r *provision.Run, user *types.User) (keys []string, done bool, err error) {
	j := b.job
	api := j.deps.IAM
	meta, err := iamapi.ListAccessKeys(ctx, api, j.name)
	if err != nil {
		return nil, false, err
	}
	keys = iamapi.KeyIDs(meta)
	if len(keys) == 0 {
		return nil, false, j.adopt(ctx, r, user)
	}
	ok, err := isSMTPUser(ctx, api, user, j.access.GroupName)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, fail.Conflictf("user %s exists with access key %s and is not an SMTP user (no %s tag, not in group %s): choose another name", j.name, strings.Join(keys, " and "), provision.TagCreatedBy, j.access.GroupName)
	}
	if err := b.orphanCheck(ctx, user, meta); err != nil {
		return nil, false, err
	}
	return keys, true, nil
}

// orphanCheck: a user that is already done is reported "exists" (re-running
// a batch does not re-key it), unless its only key looks like the key of a
// run cut short after IAM made it — killed before delivering it, or whose
// rollback failed: the user carries sesprov's tag and the key is less than
// an hour old and was never used (create-user's heuristic for a single
// user) and the earlier run's output (Options.Done, --done) does not name
// it. Then it is the conflict create-user gives that user alone, with
// rotate's advice, and the batch exits 3. Nothing is read on a fresh run;
// on a re-run, only for a key younger than an hour: the user's tags (when
// iam:GetUser gave none) and iam:GetAccessKeyLastUsed.
func (b *batchJob) orphanCheck(ctx context.Context, u *types.User, keys []types.AccessKeyMetadata) error {
	j := b.job
	if len(keys) != 1 || keys[0].CreateDate == nil || j.deps.Now().Sub(*keys[0].CreateDate) >= orphanKeyAge {
		return nil
	}
	if j.in.Done[aws.ToString(keys[0].AccessKeyId)] {
		return nil // an earlier run's output names it: it was delivered
	}
	tags, err := userTags(ctx, j.deps.IAM, u)
	if err != nil {
		return err
	}
	if !provision.CreatedBySesprov(tags) {
		return nil
	}
	if descs, young := j.describeKeys(ctx, keys); young {
		return j.keyConflictError(descs, true, tags)
	}
	return nil
}

// isSMTPUser reports whether u carries sesprov's or the SES console's tag,
// or is in group.
func isSMTPUser(ctx context.Context, api iamapi.IAM, u *types.User, group string) (bool, error) {
	tags, err := userTags(ctx, api, u)
	if err != nil {
		return false, err
	}
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if provision.IsCreatedByTag(k, v) || (k == provision.TagConsoleKey && v == provision.TagConsoleValue) {
			return true, nil
		}
	}
	return iamapi.UserInGroup(ctx, api, aws.ToString(u.UserName), group)
}

// undoUser deletes a user this run made (and put in the group) when a later
// step failed. Its access key, if one was made, is already gone
// (DeliverOrRollback). If this fails, the user stays, tagged and key-less,
// and a re-run completes it.
func (b *batchJob) undoUser(ctx context.Context) error {
	api, name := b.job.deps.IAM, b.job.name
	if b.joined {
		_, err := api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(name), GroupName: aws.String(b.job.access.GroupName)})
		if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
			return fmt.Errorf("iam:RemoveUserFromGroup %s: %w (it is left key-less: run the same command again to complete it)", name, err)
		}
	}
	if b.job.created && len(b.job.in.AllowFrom) > 0 {
		// IAM refuses to delete a user that still has an inline policy.
		if err := scope.Delete(ctx, api, name); err != nil {
			return fmt.Errorf("%w (it is left key-less: run the same command again to complete it)", err)
		}
	}
	_, err := api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
		return fmt.Errorf("iam:DeleteUser %s: %w (it is left key-less: run the same command again to complete it)", name, err)
	}
	return nil
}

// joinGroup waits for the batch's sending access, then adds the user.
func (b *batchJob) joinGroup(ctx context.Context, r *provision.Run) error {
	sa, err := b.access.wait(ctx)
	if err != nil {
		return err
	}
	b.job.access = sa
	b.joined = b.job.created // even if the call fails: it may have acted
	return b.job.ensureMembership(ctx, r)
}

// undoUnsure deletes a user whose CreateUser was interrupted, if that call
// made it: it exists, carries sesprov's tag and has no access key and no
// group (nothing else was done to it). A user that does not match is left
// alone.
func (b *batchJob) undoUnsure(ctx context.Context) error {
	api, name := b.job.deps.IAM, b.job.name
	u, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if iamapi.HasCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:GetUser %s: %w", name, err)
	}
	if !provision.CreatedBySesprov(u.User.Tags) {
		return nil
	}
	keys, err := iamapi.ListAccessKeyIDs(ctx, api, name)
	if err != nil || len(keys) > 0 {
		return err
	}
	if in, err := iamapi.UserInGroup(ctx, api, name, b.job.access.GroupName); err != nil || in {
		return err
	}
	return b.undoUser(ctx)
}

// run works on one user holding a slot of sem (acquired by the caller,
// released here).
func (b *batchJob) run(ctx context.Context, sem chan struct{}) {
	held := true
	defer func() {
		if held {
			<-sem
		}
	}()
	r := provision.NewRun(false, b.job.deps.Log)
	if b.access.isReady() && b.access.err != nil {
		b.err, b.status = fmt.Errorf("not started: the sending group is not ready: %w", b.access.err), StatusFailed
		return
	}
	b.err = r.Execute(ctx, []provision.Step{{Name: "user", Run: b.job.ensureUser}})
	if b.err == nil && !b.done && !b.access.isReady() {
		held = b.awaitAccess(ctx, sem)
	}
	if b.err == nil && !b.done {
		// Execute checks ctx first: interrupted while waiting, the user
		// is deleted again (its cleanup is registered on r).
		b.err = r.Execute(ctx, []provision.Step{
			{Name: "from-address scope", Run: b.job.ensureScope},
			{Name: "group membership", Run: b.joinGroup},
			{Name: "access key and delivery", Run: b.job.keyAndDeliver},
		})
	}
	b.status = b.outcome()
}

// awaitAccess waits for the batch's sending access. A user made before it
// is ready gives its slot up while it waits (at most 4x the slots do), so
// that the other slots go on making users instead of idling — the access
// costs the batch about one call, not six — and, if the access fails, few
// users were made for nothing. It reports whether it holds a slot again.
func (b *batchJob) awaitAccess(ctx context.Context, sem chan struct{}) (held bool) {
	select {
	case <-b.access.ready:
		return true
	case <-ctx.Done():
		return true
	case b.access.parked <- struct{}{}:
	}
	defer func() { <-b.access.parked }()
	<-sem
	select {
	case <-b.access.ready:
		select {
		case sem <- struct{}{}:
			return true
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
	return false
}

func (b *batchJob) outcome() string {
	switch {
	case b.err == nil && b.done:
		return StatusExists
	case b.err == nil:
		return b.job.batchStatus()
	case fail.KindOf(b.err) == fail.KindConflict:
		return StatusConflict
	}
	return StatusFailed
}

// runBatch makes in.UserNames with in.Concurrency workers. The sending
// access is ensured once, alongside the first users.
func runBatch(ctx context.Context, in *Options, deps *Deps) (*Summary, error) {
	start := time.Now()
	// A reader gone (a broken pipe) ends the batch: the users not delivered
	// yet are rolled back as for an interruption, the others not started.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	workers := in.Concurrency
	if workers == 0 {
		workers = DefaultConcurrency
	}
	workers = min(workers, len(in.UserNames))
	access := ensureBatchAccess(ctx, in, deps, workers)
	results := startJobs(ctx, in, deps, access, workers)

	sum := &Summary{Total: len(in.UserNames)}
	streamJSON := in.Format == output.FormatJSON && deps.Deliver.ToStdout()
	for b := range results {
		if errors.Is(b.err, deliver.ErrReaderGone) {
			stop(deliver.ErrReaderGone)
		}
		sum.count(b)
		if streamJSON && b.status != StatusCreated && b.status != StatusCompleted {
			writeStatus(deps, b)
		}
		if deps.Outcomes != nil {
			deps.Outcomes(Outcome{User: b.job.name, Status: b.status, Err: b.err, Done: sum.ended(), Total: sum.Total})
		}
	}
	sum.NotStarted = sum.Total - sum.ended()
	<-access.ready // ensured or failed: no call of the batch is left in flight
	sum.Elapsed = time.Since(start)
	if deps.Limiter != nil {
		sum.Limiter = deps.Limiter.Stats().String()
	}
	return sum, sum.err(ctx, access.err)
}

// ensureBatchAccess ensures the sending access in the background.
func ensureBatchAccess(ctx context.Context, in *Options, deps *Deps, workers int) *batchAccess {
	access := &batchAccess{ready: make(chan struct{}), parked: make(chan struct{}, 4*workers)}
	go func() {
		defer close(access.ready)
		access.sa, access.err = ensureAccess(ctx, in, deps, provision.NewRun(false, deps.Log))
	}()
	return access
}

// startJobs starts a job per user, at most workers at once (a slot of sem
// each), and sends each as it ends. A batch user's notices are passed on
// only when they are warnings: the outcome says the rest.
func startJobs(ctx context.Context, in *Options, deps *Deps, access *batchAccess, workers int) <-chan *batchJob {
	// Until the access is known, users are made with its names only.
	pending := provision.SendingAccess{GroupName: in.GroupName, PolicyName: in.PolicyName}
	warnings := provision.Notices(func(n provision.Notice) {
		if n.Level == provision.NoticeWarning {
			deps.Notices(n)
		}
	})
	if deps.Notices == nil {
		warnings = nil
	}
	sem := make(chan struct{}, workers)
	results := make(chan *batchJob)
	var wg sync.WaitGroup
	go func() {
		defer func() { wg.Wait(); close(results) }()
		for _, name := range in.UserNames {
			b := &batchJob{access: access}
			b.job = &userJob{in: in, deps: deps, name: name, access: pending, batch: b, notices: warnings}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if access.isReady() && access.err != nil {
				<-sem
				return // the others are "not started"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.run(ctx, sem)
				results <- b
			}()
		}
	}()
	return results
}

// writeStatus writes, on the credentials' stream, a JSON line for a user
// that got no new credentials: already done, failed or in conflict.
func writeStatus(deps *Deps, b *batchJob) {
	v := struct {
		UserName     string   `json:"user_name"`
		UserARN      string   `json:"user_arn,omitempty"`
		Status       string   `json:"status"`
		AccessKeyIDs []string `json:"access_key_ids,omitempty"`
		Error        string   `json:"error,omitempty"`
		Credentials  []string `json:"credentials"`
	}{UserName: b.job.name, UserARN: b.job.arn, Status: b.status, AccessKeyIDs: b.keys, Credentials: []string{}}
	if b.err != nil {
		v.Error = b.err.Error()
	}
	line, _ := json.Marshal(v)
	deps.Deliver.WriteLine(append(line, '\n'))
}
