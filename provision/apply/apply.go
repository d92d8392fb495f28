package apply

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/createuser"
	"github.com/sesprov/sesprov/provision/deleteuser"
	"github.com/sesprov/sesprov/provision/scope"
)

// applier carries out sender plans.
type applier struct {
	deps   Deps
	opts   Options
	delivs map[deliver.Destination]*deliver.Deliverer
}

// applySender makes one sender match the file: attributes, then the scope,
// then the keys (the one step that delivers a secret comes last, so a
// failure before it leaves no key behind).
func (a *applier) applySender(ctx context.Context, sp *SenderPlan) Result {
	s := sp.Sender
	r := Result{Name: s.Name, Changes: sp.Changes}
	if sp.err != nil {
		return withError(r, sp.err)
	}
	if sp.Have != nil {
		if err := a.attributes(ctx, sp); err != nil {
			return withError(r, err)
		}
	}
	switch sp.keys {
	case keysCreate:
		if err := a.create(ctx, sp); err != nil {
			return withError(r, err)
		}
		r.DeliveredTo = s.DeliverTo.For(s.Name).String()
	case keysRotate, keysFinish:
		res, err := sp.rotation.Execute(ctx, a.deps.IAM, a.deliverer(sp), nil)
		if res != nil {
			r.Retired, r.WaitUntil = res.Retired, res.WaitUntil
			r.Retired = append(r.Retired, res.Lost...)
			if !res.Finished { // Finished: the key is an earlier run's, made and delivered then
				r.NewKeyID = res.NewKeyID
			}
		}
		if err != nil {
			return withError(r, err)
		}
		if r.NewKeyID != "" {
			r.DeliveredTo = s.DeliverTo.For(s.Name).String()
		}
	}
	r.Status = sp.status()
	return r
}

func withError(r Result, err error) Result {
	r.Status, r.Error = errStatus(err), err.Error()
	return r
}

// attributes sets what an existing user differs in: tags, the boundary,
// group membership and the From-address scope. Each call is safe to repeat.
func (a *applier) attributes(ctx context.Context, sp *SenderPlan) error {
	name := sp.Sender.Name
	if len(sp.tags) > 0 {
		if _, err := a.deps.IAM.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(name), Tags: sp.tags}); err != nil {
			return fmt.Errorf("iam:TagUser %s: %w", name, err)
		}
	}
	if sp.boundary {
		_, err := a.deps.IAM.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{
			UserName: aws.String(name), PermissionsBoundary: aws.String(sp.Sender.PermissionsBoundary)})
		if err != nil {
			return fmt.Errorf("iam:PutUserPermissionsBoundary %s: %w", name, err)
		}
	}
	if sp.join {
		if err := iamapi.AddUserToGroupChecked(ctx, a.deps.IAM, name, a.opts.GroupName); err != nil {
			return err
		}
	}
	if !sp.scopeSet {
		return nil
	}
	if len(sp.Sender.AllowFrom) == 0 {
		return scope.Delete(ctx, a.deps.IAM, name)
	}
	return scope.Put(ctx, a.deps.IAM, name, sp.Sender.AllowFrom)
}

// create makes the user (or finishes one an earlier run left without a key)
// as create-user does, and delivers its credentials.
func (a *applier) create(ctx context.Context, sp *SenderPlan) error {
	s := sp.Sender
	var outcome createuser.Outcome
	_, err := createuser.Run(ctx, createuser.Options{
		UserNames: []string{s.Name}, Batch: true, Concurrency: 1,
		Regions: s.Regions, Path: s.Path, Tags: s.Tags, PermissionsBoundary: s.PermissionsBoundary,
		AllowFrom: s.AllowFrom, Dest: s.DeliverTo, Format: output.FormatJSON,
		GroupName: a.opts.GroupName, PolicyName: a.opts.PolicyName,
	}, createuser.Deps{
		IAM: a.deps.IAM, STS: a.deps.STS, Deliver: a.delivs[s.DeliverTo], Notices: a.opts.Notices,
		Outcomes: func(o createuser.Outcome) { outcome = o }, Log: a.opts.Log, Now: a.opts.Now,
	})
	switch {
	case outcome.Err != nil:
		return outcome.Err
	case err != nil:
		return err
	case outcome.Status == createuser.StatusExists:
		return fail.Conflictf("user %s got an access key from someone else while apply ran; nothing was delivered. Run apply again", s.Name)
	}
	return nil
}

// deliverer is the rotation's delivery to the sender's destination.
func (a *applier) deliverer(sp *SenderPlan) func(context.Context, creds.CredentialSet) error {
	d := a.delivs[sp.Sender.DeliverTo]
	return func(ctx context.Context, set creds.CredentialSet) error {
		if d == nil {
			return fmt.Errorf("no delivery open for %s", sp.Sender.DeliverTo.For(sp.Sender.Name))
		}
		return d.Deliver(ctx, set)
	}
}

// unlisted reports a user the file no longer lists, and deletes it when
// Prune (the caller confirmed).
func (a *applier) unlisted(ctx context.Context, sp *SenderPlan) Result {
	r := Result{Name: sp.Sender.Name, Status: StatusUnlisted, Changes: sp.Changes}
	if !a.opts.Prune {
		return r
	}
	_, err := deleteuser.Run(ctx, deleteuser.Options{
		UserName: sp.Sender.Name, GroupName: a.opts.GroupName, PolicyName: a.opts.PolicyName, Log: a.opts.Log,
	}, a.deps.IAM)
	if err != nil {
		return withError(r, err)
	}
	r.Status = StatusPruned
	return r
}
