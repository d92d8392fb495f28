package rotate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
)

// DefaultConcurrency is how many users a fleet rotation works on at once.
// IAM's rate is kept by the clients' limiter whatever this is; 8 keeps a
// 20 ms-per-call endpoint busy without queueing behind the limiter.
const DefaultConcurrency = 8

// MaxConcurrency bounds --concurrency.
const MaxConcurrency = 64

// The status of one user of a fleet rotation.
const (
	StatusRotated  = "rotated"  // a new key was made and delivered
	StatusRetired  = "retired"  // a superseded key was retired, no new key
	StatusFresh    = "fresh"    // nothing due
	StatusWaiting  = "waiting"  // the superseded key is in its grace period
	StatusFailed   = "failed"   // see Error; other users went on
	StatusConflict = "conflict" // needs a person (see Error); nothing changed
)

// UserResult is one user's line of a fleet rotation.
type UserResult struct {
	UserName  string     `json:"user_name"`
	Status    string     `json:"status"`
	NewKeyID  string     `json:"new_access_key_id,omitempty"`
	Retired   []string   `json:"retired_access_keys,omitempty"`
	Deleted   []string   `json:"deleted_access_keys,omitempty"`
	WaitUntil *time.Time `json:"wait_until,omitempty"`
	Error     string     `json:"error,omitempty"`
	// DryRun: the status is what a real run would do; nothing changed.
	DryRun bool `json:"dry_run,omitempty"`
}

// FleetOptions is a rotation of many users: Options is every user's
// (UserName is ignored), Users the names.
type FleetOptions struct {
	Options
	Users       []string
	Concurrency int // default DefaultConcurrency
	// Known are users as the caller read them (Discover), by name: their
	// plan reads nothing again (Options.Known; Classified must be set).
	// Execute still reads the rotation record and the keys back before
	// making a key, so a plan from a read minutes old changes nothing
	// another run changed since.
	Known map[string]*Known
}

// Discovered is what Discover found: the SMTP users' names in list's order
// and, for each user whose tags list's paged scan read, the user as read
// (ARN, keys, tags), so that rotating it reads none of that again.
type Discovered struct {
	Names []string
	Known map[string]*Known
}

// Discover returns every SMTP user list shows, in list's order: rotate --all
// rotates exactly what list reports.
func Discover(ctx context.Context, client iamapi.IAM, groupName, policyName string, concurrency int) (Discovered, error) {
	s := nameSink{found: Discovered{Known: map[string]*Known{}}}
	err := list.Run(ctx, client, list.Options{GroupName: groupName, PolicyName: policyName, Concurrency: concurrency}, &s)
	return s.found, err
}

type nameSink struct{ found Discovered }

func (s *nameSink) WriteUser(u list.User) error {
	s.found.Names = append(s.found.Names, u.UserName)
	if u.Tags != nil { // the paged scan read them: the user is whole
		s.found.Known[u.UserName] = knownFromList(u)
	}
	return nil
}

func (s *nameSink) Flush() error { return nil }

// knownFromList is the user as list read it.
func knownFromList(u list.User) *Known {
	k := &Known{ARN: u.UserARN, Tags: u.Tags, Keys: []types.AccessKeyMetadata{}}
	for _, key := range u.Keys {
		k.Keys = append(k.Keys, types.AccessKeyMetadata{
			UserName: aws.String(u.UserName), AccessKeyId: aws.String(key.AccessKeyID),
			Status: types.StatusType(key.Status), CreateDate: aws.Time(key.Created),
		})
	}
	return k
}

// RunFleet rotates each user as rotate does one (Plan, then Execute), at most
// Concurrency at a time, and hands each user's result to report (called from
// one goroutine at a time, in completion order). One user's failure never
// stops the others. It returns the results in Users' order.
func RunFleet(ctx context.Context, client iamapi.IAM, fo FleetOptions, deliver Deliverer, verify Verifier, report func(UserResult)) []UserResult {
	if fo.Concurrency <= 0 {
		fo.Concurrency = DefaultConcurrency
	}
	results := make([]UserResult, len(fo.Users))
	done := make(chan int)
	go func() {
		provision.ForEach(ctx, len(fo.Users), fo.Concurrency, func(ctx context.Context, i int) {
			opts := fo.Options
			opts.Known = fo.Known[fo.Users[i]]
			results[i] = rotateOne(ctx, client, opts, fo.Users[i], deliver, verify)
			done <- i
		})
		close(done)
	}()
	for i := range done {
		if report != nil {
			report(results[i])
		}
	}
	for i, name := range fo.Users {
		if results[i].Status == "" { // never started: the run was interrupted
			results[i] = UserResult{UserName: name, Status: StatusFailed, Error: fmt.Sprintf("not started: %v", context.Cause(ctx))}
		}
	}
	return results
}

// rotateOne rotates one user of a fleet and says how it went.
func rotateOne(ctx context.Context, client iamapi.IAM, opts Options, name string, deliver Deliverer, verify Verifier) UserResult {
	opts.UserName = name
	plan, err := Plan(ctx, client, opts)
	if err != nil {
		return failed(name, nil, err)
	}
	res, err := plan.Execute(ctx, client, deliver, verify)
	if err != nil {
		return failed(name, res, err)
	}
	ur := UserResult{UserName: name, NewKeyID: res.NewKeyID, Retired: res.Retired, Deleted: res.Deleted, WaitUntil: res.WaitUntil, DryRun: res.DryRun}
	switch {
	case res.Fresh:
		ur.Status = StatusFresh
	case res.Waiting && res.Finished:
		ur.Status = StatusWaiting
	case res.Finished:
		ur.Status = StatusRetired
	default:
		ur.Status = StatusRotated
	}
	return ur
}

// failed is a user's failure or conflict, with what it did before.
func failed(name string, res *Result, err error) UserResult {
	ur := UserResult{UserName: name, Status: StatusFailed, Error: err.Error()}
	if fail.KindOf(err) == fail.KindConflict {
		ur.Status = StatusConflict
	}
	if res != nil {
		ur.NewKeyID, ur.Retired, ur.Deleted = res.NewKeyID, res.Retired, res.Deleted
	}
	return ur
}

// Summarize counts the results by status.
func Summarize(results []UserResult) map[string]int {
	n := map[string]int{}
	for _, r := range results {
		n[r.Status]++
	}
	return n
}
