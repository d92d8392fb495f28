package scope

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// Options is what the scope command was asked to do: set the scope to
// AllowFrom (as ParseAddresses returns it), or Remove it.
type Options struct {
	UserName  string
	AllowFrom []string
	Remove    bool
	DryRun    bool
}

// Statuses of a Result.
const (
	StatusScoped    = "scoped"    // the scope was set or changed
	StatusUnscoped  = "unscoped"  // the scope was removed
	StatusUnchanged = "unchanged" // it already was as asked
)

// Result is what Run did: the user's scope after it (nil: none).
type Result struct {
	UserName  string   `json:"user_name"`
	Status    string   `json:"status"`
	AllowFrom []string `json:"allow_from"`
	Was       []string `json:"was"`
	DryRun    bool     `json:"dry_run,omitempty"`
}

// Validate checks the options before any IAM call.
func (o Options) Validate() error {
	if o.UserName == "" {
		return fail.Usagef("no user given: pass --user-name NAME")
	}
	if err := provision.ValidateUserName(o.UserName); err != nil {
		return err
	}
	switch {
	case o.Remove && len(o.AllowFrom) > 0:
		return fail.Usagef("--allow-from and --remove exclude each other")
	case !o.Remove && len(o.AllowFrom) == 0:
		return fail.Usagef("give --allow-from ADDR[,ADDR…] to set the scope, or --remove to remove it")
	}
	return nil
}

// Run sets or removes the user's scope. It reads first and writes only a
// difference, so a repeated run reports "unchanged"; a user that does not
// exist is a usage error and nothing is changed.
func Run(ctx context.Context, api iamapi.IAM, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if _, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(o.UserName)}); err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return nil, fail.Usagef("user %s does not exist: nothing was changed (see 'sesprov list')", o.UserName)
		}
		return nil, fmt.Errorf("iam:GetUser %s: %w", o.UserName, err)
	}
	was, err := Read(ctx, api, o.UserName)
	if err != nil {
		return nil, err
	}
	res := &Result{UserName: o.UserName, Was: Shown(was), AllowFrom: Shown(o.AllowFrom), DryRun: o.DryRun}
	switch {
	case o.Remove && was == nil:
		res.Status = StatusUnchanged
	case o.Remove:
		res.Status = StatusUnscoped
		if !o.DryRun {
			err = Delete(ctx, api, o.UserName)
		}
	case slices.Equal(was, o.AllowFrom):
		res.Status = StatusUnchanged
	default:
		res.Status = StatusScoped
		if !o.DryRun {
			err = Put(ctx, api, o.UserName, o.AllowFrom)
		}
	}
	return res, err
}
