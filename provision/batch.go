package provision

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/sesprov/sesprov/internal/tty"
)

// A batch (create-user --from FILE) makes many users at once:
//
//   - every line of the file is checked before any change (ReadUserNames);
//   - the group and the policy are ensured once, for the whole batch;
//   - each user then costs CreateUser (with its tags), AddUserToGroup and
//     CreateAccessKey — three calls, the floor — made in Concurrency slots
//     paced by the clients' AdaptiveLimiter (ratelimit.go);
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

// paintBatchStatus colours a user's outcome on a terminal.
func paintBatchStatus(p tty.Palette, status string) string {
	switch status {
	case StatusCreated, StatusCompleted:
		return p.Good(status)
	case StatusFailed:
		return p.Bad(status)
	case StatusConflict:
		return p.Warn(status)
	}
	return status
}

func (in *CreateUserInput) validateBatch() error {
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
		if err := ValidateUserName(s); err != nil {
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

// batchJob is one user's state in a batch.
type batchJob struct {
	job    *userJob
	access *batchAccess
	stderr bytes.Buffer // the engine's notes about this user; warnings are passed on
	done   bool         // already done (exists): nothing more to do
	keys   []string     // its keys, when done
	joined bool         // this run made the user and tried to add it to the group
	status string
	err    error
}

// batchAccess is the sending access of a batch, ensured once while the
// first users are being made (their CreateUser calls need no group): users
// wait for it before joining the group.
type batchAccess struct {
	ready  chan struct{}
	sa     SendingAccess
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
func (a *batchAccess) wait(ctx context.Context) (SendingAccess, error) {
	select {
	case <-a.ready:
		if a.err != nil {
			return a.sa, fmt.Errorf("the sending group is not ready: %w", a.err)
		}
		return a.sa, nil
	case <-ctx.Done():
		return SendingAccess{}, ctx.Err()
	}
}

// batchStatus is the status create-user's JSON shows for a delivered user
// in a batch; "" outside a batch (CLI.md's single-user shape).
func (j *userJob) batchStatus() string {
	if j.batch == nil {
		return ""
	}
	if j.created {
		return StatusCreated
	}
	return StatusCompleted
}

// ensureUser is userJob.ensureUser for a batch: a user that exists with a
// key and is an SMTP user is already done, not a conflict.
func (b *batchJob) ensureUser(ctx context.Context, r *Run) error {
	j := b.job
	api := j.deps.IAM
	in := &iam.CreateUserInput{UserName: aws.String(j.name), Path: aws.String(j.in.Path), Tags: j.tags()}
	if j.in.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(j.in.PermissionsBoundary)
	}
	r.Plan("%s", j.describe())
	out, err := api.CreateUser(ctx, in)
	if err == nil {
		j.created, j.arn = true, aws.ToString(out.User.Arn)
		// Made by this run: if a later step fails, it goes again, so that
		// no half-made user stays behind.
		r.OnFailure("delete user "+j.name+" made by this run", b.undoUser)
		return nil
	}
	if !iamapi.HasCode(err, "EntityAlreadyExists") {
		if ctx.Err() != nil {
			// Interrupted mid-call: IAM may have made the user.
			r.OnFailure("delete user "+j.name+" if the interrupted call made it", b.undoUnsure)
		}
		return fmt.Errorf("iam:CreateUser %s: %w", j.name, err)
	}
	user, err := existingUser(ctx, api, j.name)
	if err != nil {
		return err
	}
	j.arn = aws.ToString(user.Arn)
	keys, done, err := b.judgeExisting(ctx, r, user)
	if done {
		b.done, b.keys = true, keys
	}
	return err
}

// judgeExisting decides about a batch user that exists, for a run and a dry
// run alike: without a key it is completed (an earlier run cut short); with
// one it is done — left as is, not re-keyed — unless it is not an SMTP user or
// its only key may be a killed run's orphan (conflicts).
func (b *batchJob) judgeExisting(ctx context.Context, r *Run, user *types.User) (keys []string, done bool, err error) {
	j := b.job
	api := j.deps.IAM
	meta, err := iamapi.ListAccessKeys(ctx, api, j.name)
	if err != nil {
		return nil, false, err
	}
	keys = keyIDs(meta)
	if len(keys) == 0 {
		return nil, false, j.adopt(ctx, r, user)
	}
	ok, err := isSMTPUser(ctx, api, user, j.access.GroupName)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, fail.Conflictf("user %s exists with access key %s and is not an SMTP user (no %s tag, not in group %s): choose another name", j.name, strings.Join(keys, " and "), TagCreatedBy, j.access.GroupName)
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
// user). Then it is the conflict create-user gives that user alone, with
// rotate's advice, and the batch exits 3. Nothing is read on a fresh run;
// on a re-run, only for a key younger than an hour: the user's tags (when
// iam:GetUser gave none) and iam:GetAccessKeyLastUsed.
func (b *batchJob) orphanCheck(ctx context.Context, u *types.User, keys []types.AccessKeyMetadata) error {
	j := b.job
	if len(keys) != 1 || keys[0].CreateDate == nil || j.deps.Now().Sub(*keys[0].CreateDate) >= orphanKeyAge {
		return nil
	}
	tags := u.Tags
	if len(tags) == 0 {
		t, err := j.deps.IAM.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(j.name)})
		if err != nil {
			return fmt.Errorf("iam:ListUserTags %s: %w", j.name, err)
		}
		tags = t.Tags
	}
	if !createdBySesprov(tags) {
		return nil
	}
	if descs, young := j.describeKeys(ctx, keys); young {
		return j.keyConflictError(descs, true)
	}
	return nil
}

func keyIDs(keys []types.AccessKeyMetadata) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = aws.ToString(k.AccessKeyId)
	}
	return ids
}

// isSMTPUser reports whether u carries sesprov's or the SES console's tag,
// or is in group.
func isSMTPUser(ctx context.Context, api iamapi.IAM, u *types.User, group string) (bool, error) {
	tags := u.Tags
	if len(tags) == 0 {
		t, err := api.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: u.UserName})
		if err != nil {
			return false, fmt.Errorf("iam:ListUserTags %s: %w", aws.ToString(u.UserName), err)
		}
		tags = t.Tags
	}
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if isCreatedByTag(k, v) || (k == TagConsoleKey && v == TagConsoleValue) {
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
	_, err := api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
		return fmt.Errorf("iam:DeleteUser %s: %w (it is left key-less: run the same command again to complete it)", name, err)
	}
	return nil
}

// joinGroup waits for the batch's sending access, then adds the user.
func (b *batchJob) joinGroup(ctx context.Context, r *Run) error {
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
	if !createdBySesprov(u.User.Tags) {
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
// released here). A user made before the batch's sending access is ready
// gives its slot up while it waits, so that the other slots go on making
// users instead of idling: the access costs the batch about one call, not
// six.
func (b *batchJob) run(ctx context.Context, log *slog.Logger, sem chan struct{}) {
	j := b.job
	held := true
	defer func() {
		if held {
			<-sem
		}
	}()
	r := NewRun(false, log)
	if b.access.isReady() && b.access.err != nil {
		b.err, b.status = fmt.Errorf("not started: the sending group is not ready: %w", b.access.err), StatusFailed
		return
	}
	b.err = r.Execute(ctx, []Step{{"user", b.ensureUser}})
	if b.err == nil && !b.done && !b.access.isReady() {
		select {
		case <-b.access.ready:
		case <-ctx.Done():
		case b.access.parked <- struct{}{}:
			// Wait without a slot (at most 4x the slots do), so that if
			// the access fails few users were made for nothing.
			<-sem
			held = false
			select {
			case <-b.access.ready:
				select {
				case sem <- struct{}{}:
					held = true
				case <-ctx.Done():
				}
			case <-ctx.Done():
			}
			<-b.access.parked
		}
	}
	if b.err == nil && !b.done {
		// Execute checks ctx first: interrupted while waiting, the user
		// is deleted again (its cleanup is registered on r).
		b.err = r.Execute(ctx, []Step{
			{"group membership", b.joinGroup},
			{"access key and delivery", j.keyAndDeliver},
		})
	}
	switch {
	case b.err == nil && b.done:
		b.status = StatusExists
	case b.err == nil:
		b.status = j.batchStatus()
	case fail.KindOf(b.err) == fail.KindConflict:
		b.status = StatusConflict
	default:
		b.status = StatusFailed
	}
}

// batchSummary counts a batch's outcomes.
type batchSummary struct {
	total                                    int
	created, completed, exists, failed, conf int
	notStarted                               int
	failedNames, conflictNames               []string
}

// runBatch makes in.UserNames with in.Concurrency workers and delivers
// through d. The sending access is ensured once, alongside the first users.
func runBatch(ctx context.Context, in *CreateUserInput, deps *CreateUserDeps, d *deliver.Deliverer) error {
	start := time.Now()
	workers := in.Concurrency
	if workers == 0 {
		workers = DefaultConcurrency
	}
	workers = min(workers, len(in.UserNames))
	// Progress lines are for a person watching, not for a pipe or a file;
	// so are colours (failures red, conflicts yellow).
	progress := tty.IsTerminal(deps.Stderr)
	pal := tty.NewPalette(deps.Stderr)
	var errMu sync.Mutex // deps.Stderr is shared by the workers and the reporter
	stderrf := func(format string, args ...any) {
		errMu.Lock()
		defer errMu.Unlock()
		fmt.Fprintf(deps.Stderr, format, args...)
	}

	access := &batchAccess{ready: make(chan struct{}), parked: make(chan struct{}, 4*workers)}
	go func() {
		defer close(access.ready)
		access.sa, access.err = EnsureSendingAccess(ctx, deps.IAM, SendingAccessOptions{
			GroupName: in.GroupName, PolicyName: in.PolicyName, RepairPolicy: in.RepairPolicy,
			STS: deps.STS, Run: NewRun(false, deps.Log),
		})
		for _, w := range access.sa.Warnings {
			stderrf("sesprov: warning: %s\n", w)
		}
		if access.err == nil {
			access.err = cannotSend(in, access.sa)
		}
	}()
	// Until the access is known, users are made with its names only.
	pending := SendingAccess{GroupName: in.GroupName, PolicyName: in.PolicyName}

	// At most `workers` users are worked on at once (a slot of sem each).
	// Each job writes its engine notes to its own buffer; the reporter
	// passes warnings on and replaces the rest with one line.
	sem := make(chan struct{}, workers)
	results := make(chan *batchJob)
	var wg sync.WaitGroup
	go func() {
		defer func() { wg.Wait(); close(results) }()
		for _, name := range in.UserNames {
			b := &batchJob{access: access}
			jdeps := *deps
			jdeps.Stderr = &b.stderr
			b.job = &userJob{in: in, deps: &jdeps, name: name, access: pending, d: d, batch: b}
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
				b.run(ctx, deps.Log, sem)
				results <- b
			}()
		}
	}()

	sum := batchSummary{total: len(in.UserNames)}
	streamJSON := in.Format == output.FormatJSON && d.ToStdout()
	n := 0
	for b := range results {
		n++
		for _, line := range strings.SplitAfter(b.stderr.String(), "\n") {
			if strings.Contains(line, "warning:") {
				stderrf("%s", line)
			}
		}
		name := b.job.name
		switch b.status {
		case StatusCreated:
			sum.created++
		case StatusCompleted:
			sum.completed++
		case StatusExists:
			sum.exists++
		case StatusConflict:
			sum.conf++
			sum.conflictNames = append(sum.conflictNames, name)
		default:
			sum.failed++
			sum.failedNames = append(sum.failedNames, name)
		}
		if b.err != nil {
			stderrf("sesprov: %s %s: %v\n", paintBatchStatus(pal, b.status), name, b.err)
		}
		if streamJSON && (b.status != StatusCreated && b.status != StatusCompleted) {
			writeStatus(d, b)
		}
		if progress {
			stderrf("sesprov: [%d/%d] %s %s\n", n, sum.total, b.status, name)
		}
	}
	sum.notStarted = sum.total - n
	<-access.ready // ensured or failed: no call of the batch is left in flight

	var err error
	if cerr := d.Close(); cerr != nil {
		err = fmt.Errorf("write %s: %w", in.Dest, cerr)
	}
	errMu.Lock()
	reportDelivered(deps.Stderr, d)
	errMu.Unlock()
	stats := ""
	if deps.Limiter != nil {
		stats = "; " + deps.Limiter.Stats().String()
	}
	failed, conflicts := fmt.Sprintf("%d failed", sum.failed), fmt.Sprintf("%d conflict(s)", sum.conf)
	if sum.failed > 0 {
		failed = pal.Bad(failed)
	}
	if sum.conf > 0 {
		conflicts = pal.Warn(conflicts)
	}
	stderrf("sesprov: batch of %d user(s) in %s: %d created, %d completed, %d already done, %s, %s%s%s\n",
		sum.total, time.Since(start).Round(time.Millisecond), sum.created, sum.completed, sum.exists, failed, conflicts,
		map[bool]string{true: fmt.Sprintf(", %d not started", sum.notStarted), false: ""}[sum.notStarted > 0], stats)
	switch {
	case err != nil:
		return err
	case access.err != nil:
		return fmt.Errorf("%w; users made by this run were deleted again: fix this and run the same command again", access.err)
	case ctx.Err() != nil:
		// What to run next is said by the CLI, which knows the command line
		// (and whether --out-file must change).
		return fmt.Errorf("batch interrupted after %d of %d user(s) (%d not started): %w", n, sum.total, sum.notStarted, ctx.Err())
	case sum.failed > 0:
		return fmt.Errorf("%d of %d user(s) failed (%s), see above; the others are done: run the same command again to finish them (users already done are reported, not re-keyed)", sum.failed, sum.total, strings.Join(sum.failedNames, ", "))
	case sum.conf > 0:
		return fail.Conflictf("%d of %d user(s) need a decision (%s), see above", sum.conf, sum.total, strings.Join(sum.conflictNames, ", "))
	}
	return nil
}

// writeStatus writes a JSON line for a user that got no new credentials:
// already done, failed or in conflict.
func writeStatus(d *deliver.Deliverer, b *batchJob) {
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
	d.WriteLine(append(line, '\n'))
}

// planUser is ensureUser for a batch's dry run: it reads (GetUser,
// ListAccessKeys) and plans, and, like a real batch, takes a user that is
// already done for done rather than a conflict.
func (b *batchJob) planUser(ctx context.Context, r *Run) error {
	j := b.job
	api := j.deps.IAM
	out, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(j.name)})
	if iamapi.HasCode(err, "NoSuchEntity") {
		j.created = true
		r.Plan("%s", j.describe())
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:GetUser %s: %w", j.name, err)
	}
	keys, done, err := b.judgeExisting(ctx, r, out.User)
	if !done {
		return err
	}
	b.done = true
	r.Note("user %s is already done (access key %s): left as is", j.name, strings.Join(keys, " and "))
	return nil
}

// planBatch is a batch's dry run: the plan of every user, one after the
// other (reads only), printed as --dry-run prints it.
func planBatch(ctx context.Context, in *CreateUserInput, deps *CreateUserDeps, sa SendingAccess, r *Run) error {
	var failed, conflicts []string
	var firstErr error
	for _, name := range in.UserNames {
		b := &batchJob{}
		b.job = &userJob{in: in, deps: deps, name: name, access: sa, batch: b}
		err := r.Execute(ctx, []Step{
			{"user", b.planUser},
			{"group membership", func(ctx context.Context, r *Run) error {
				if b.done {
					return nil
				}
				return b.job.ensureMembership(ctx, r)
			}},
			{"access key and delivery", func(ctx context.Context, r *Run) error {
				if b.done {
					return nil
				}
				return b.job.keyAndDeliver(ctx, r)
			}},
		})
		if err == nil {
			continue
		}
		fmt.Fprintf(deps.Stderr, "sesprov: %s: %v\n", name, err)
		if firstErr == nil {
			firstErr = err
		}
		if fail.KindOf(err) == fail.KindConflict {
			conflicts = append(conflicts, name)
		} else {
			failed = append(failed, name)
		}
		if ctx.Err() != nil {
			return err
		}
	}
	if err := printPlan(deps.Stdout, in.Format, r.Planned()); err != nil {
		return err
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("dry run: %d of %d user(s) could not be planned (%s), see above", len(failed), len(in.UserNames), strings.Join(failed, ", "))
	case len(conflicts) > 0:
		return fail.Conflictf("dry run: %d of %d user(s) need a decision (%s), see above", len(conflicts), len(in.UserNames), strings.Join(conflicts, ", "))
	}
	return nil
}
