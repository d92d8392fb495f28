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
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/deleteuser"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/sesprov/sesprov/provision/scope"
)

// applier carries out sender plans.
type applier struct {
	deps   Deps
	opts   Options
	delivs map[string]*deliver.Deliverer // by sender
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
	case keysCreate, keysRotate, keysFinish:
		var res *rotate.Result
		var err error
		if sp.keys == keysCreate {
			res, err = a.create(ctx, sp)
		} else {
			res, err = sp.rotation.Execute(ctx, a.deps.IAM, a.deliverer(sp), nil)
		}
		if res != nil {
			r.Retired, r.WaitUntil = append(res.Retired, res.Lost...), res.WaitUntil
		}
		if err != nil {
			return withError(r, err) // the error says what became of a new key
		}
		if !res.Finished && res.NewKeyID != "" { // made and delivered by this run
			r.NewKeyID, r.DeliveredTo = res.NewKeyID, destText(s)
		}
	}
	r.Status = sp.status()
	return r
}

func withError(r Result, err error) Result {
	r.Status, r.Error = errStatus(err), err.Error()
	return r
}

// attributes sets what an existing user differs in: tags, the boundary, the
// From-address scope, then group membership — the scope before the group,
// so that a sender never gains the group's permission unscoped (a failed
// scope leaves it out of the group). Each call is safe to repeat.
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
	if sp.scopeSet {
		var err error
		if len(sp.Sender.AllowFrom) == 0 {
			err = scope.Delete(ctx, a.deps.IAM, name)
		} else {
			err = scope.Put(ctx, a.deps.IAM, name, sp.Sender.AllowFrom)
		}
		if err != nil {
			return err
		}
	}
	if sp.join {
		return iamapi.AddUserToGroupChecked(ctx, a.deps.IAM, name, a.opts.GroupName)
	}
	return nil
}

// create makes the user (when the scan found none) and gives it its first
// key the way rotate makes every key: the key is recorded on the user before
// it is made, so a run killed before delivering it leaves a record the next
// run follows (it deletes that key and makes another), never an active key
// whose secret reached no one.
func (a *applier) create(ctx context.Context, sp *SenderPlan) (*rotate.Result, error) {
	s := sp.Sender
	var known *rotate.Known // the user as read: rotate need not read it again
	if sp.Have != nil {
		known = &rotate.Known{ARN: sp.Have.UserARN, Tags: sp.Have.Tags} // the plan found no key
	} else {
		var err error
		if known, err = a.createUser(ctx, s); err != nil {
			return nil, err
		}
		if len(s.AllowFrom) > 0 { // scoped before it joins the group: never unscoped
			// IAM may not see the user it just made yet: NoSuchEntity is waited out.
			if err := iamapi.WaitConsistent(ctx, func() error { return scope.Put(ctx, a.deps.IAM, s.Name, s.AllowFrom) }); err != nil {
				return nil, err
			}
		}
		if err := iamapi.AddUserToGroupChecked(ctx, a.deps.IAM, s.Name, a.opts.GroupName); err != nil {
			return nil, err
		}
	}
	// The user is seen by now: the calls above waited out IAM's eventual
	// consistency (NoSuchEntity right after CreateUser).
	r, err := rotate.Plan(ctx, a.deps.IAM, rotate.Options{
		UserName: s.Name, Regions: s.Regions, Classified: true, Known: known, Command: "apply", // no key to keep: no grace
		GroupName: a.opts.GroupName, PolicyName: a.opts.PolicyName, Now: a.opts.Now, Log: a.opts.Log, Notices: a.opts.Notices,
	})
	if err != nil {
		return nil, err
	}
	return r.Execute(ctx, a.deps.IAM, a.deliverer(sp), nil)
}

// createUser makes the IAM user with sesprov's tag, the file's tags and the
// regions its credentials are made for. A user of that name that appeared
// since the scan is taken only if sesprov made it (this run's own, whose
// answer was lost, or another run's): else it is a conflict.
// It returns the user as made (no key yet), or nil when the user existed:
// then rotate reads it.
func (a *applier) createUser(ctx context.Context, s Sender) (*rotate.Known, error) {
	in := &iam.CreateUserInput{UserName: aws.String(s.Name), Path: aws.String(s.Path), Tags: provision.NewUserTags(s.Tags, s.Regions)}
	if s.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(s.PermissionsBoundary)
	}
	out, err := a.deps.IAM.CreateUser(ctx, in)
	if !iamapi.HasCode(err, "EntityAlreadyExists") {
		if err != nil {
			return nil, fmt.Errorf("iam:CreateUser %s: %w", s.Name, err)
		}
		if out.User == nil {
			return nil, nil
		}
		return &rotate.Known{ARN: aws.ToString(out.User.Arn), Tags: in.Tags}, nil
	}
	have, err := iamapi.ListAllUserTags(ctx, a.deps.IAM, s.Name)
	if err != nil {
		return nil, err
	}
	if !provision.CreatedBySesprov(have) {
		return nil, fail.Conflictf("user %s was made by someone else while apply ran (it has no %s tag); nothing was changed. Rename the sender, or run apply again to see the user as it is", s.Name, provision.TagCreatedBy)
	}
	return nil, nil
}

// deliverer is the rotation's delivery to the sender's destination.
func (a *applier) deliverer(sp *SenderPlan) func(context.Context, creds.CredentialSet) error {
	d := a.delivs[sp.Sender.Name]
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
	switch {
	case !a.opts.Prune:
		return r
	case sp.err != nil: // still in use, or its use could not be read
		return withError(r, sp.err)
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
