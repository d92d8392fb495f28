// Package doctor checks, with IAM's policy simulator, whether the caller
// may run each command, and writes the operator policy that lets it.
package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/lazyre"
	"github.com/sesprov/sesprov/provision"
)

// Options is what doctor checks.
type Options struct {
	Commands     []string    // commands to check; every command of CommandPermissionTable when empty
	PrincipalARN string      // simulate this IAM user or role instead of the caller's
	Scope        PolicyScope // where the resources are (AccountID and Partition come from STS)
	UserName     string      // a user name to check user actions on; "ses-smtp-user.doctor-check" when empty
}

// ActionCheck is the simulated decision for one action.
type ActionCheck struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"` // allowed, implicitDeny, explicitDeny
	When     string `json:"when,omitempty"`
}

// CommandCheck is doctor's verdict on one command.
type CommandCheck struct {
	Command string        `json:"command"`
	Ready   bool          `json:"ready"`            // every unconditional action allowed
	Denied  []ActionCheck `json:"denied,omitempty"` // with conditional ones (When says when they matter)
	Checked int           `json:"checked"`
}

// Report is what doctor found.
type Report struct {
	Account      string         `json:"account"`
	CallerARN    string         `json:"caller_arn"`
	UserID       string         `json:"user_id,omitempty"`
	PrincipalARN string         `json:"simulated_principal_arn,omitempty"`
	Root         bool           `json:"root"`
	Warnings     []string       `json:"warnings,omitempty"`
	Commands     []CommandCheck `json:"commands"`
}

// Ready reports whether every checked command can run (root can).
func (r Report) Ready() bool {
	for _, c := range r.Commands {
		if !c.Ready {
			return false
		}
	}
	return true
}

var assumedRoleARN = lazyre.New(`^arn:([a-z-]+):sts::(\d{12}):assumed-role/([^/]+)/.+$`)

// Run asks STS who the caller is and IAM's policy simulator whether the
// caller may call each action the commands need. It changes nothing.
func Run(ctx context.Context, in Options, iamAPI iamapi.IAM, stsAPI iamapi.STS) (Report, error) {
	commands := in.Commands
	if len(commands) == 0 {
		commands = CommandNames()
	}
	for _, c := range commands {
		if _, ok := PermissionsOf(c); !ok {
			return Report{}, fail.Usagef("unknown command %q: choose from %s", c, strings.Join(CommandNames(), ", "))
		}
	}
	acct, err := provision.ResolveAccount(ctx, stsAPI)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Account: acct.ID, CallerARN: acct.CallerARN}
	scope := in.Scope
	scope.AccountID, scope.Partition = acct.ID, acct.Partition
	principal := in.PrincipalARN
	if principal == "" {
		if principal, err = callerPrincipal(ctx, iamAPI, &rep); err != nil {
			return rep, err
		}
	}
	if rep.Root {
		rep.Warnings = append(rep.Warnings, "these are the account's root credentials: they can do everything, and should not be used for day-to-day work; "+
			"create an operator user or role with the policy of 'sesprov doctor --policy' and use that instead")
		for _, c := range commands {
			rep.Commands = append(rep.Commands, CommandCheck{Command: c, Ready: true})
		}
		return rep, nil
	}
	rep.PrincipalARN = principal
	userName := in.UserName
	if userName == "" {
		userName = "ses-smtp-user.doctor-check"
	}
	decisions, err := simulate(ctx, iamAPI, principal, commands, scope, userName)
	if err != nil {
		return rep, err
	}
	for _, c := range commands {
		rep.Commands = append(rep.Commands, verdict(c, decisions, scope, userName))
	}
	return rep, nil
}

// callerPrincipal is the principal to simulate for the caller; it marks
// rep.Root, and warns when a role's path cannot be read.
func callerPrincipal(ctx context.Context, iamAPI iamapi.IAM, rep *Report) (string, error) {
	principal, roleName, root, err := SimulationPrincipal(rep.CallerARN)
	rep.Root = root
	if err != nil || roleName == "" {
		return principal, err
	}
	// The session ARN drops the role's path; IAM knows it.
	out, err := iamAPI.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err == nil && out.Role != nil && aws.ToString(out.Role.Arn) != "" {
		return aws.ToString(out.Role.Arn), nil
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("could not read role %s (iam:GetRole: %s); simulating %s, which is wrong if the role has a path: pass --principal-arn with the role's ARN", roleName, shortErr(err), principal))
	return principal, nil
}

type decisionKey struct{ action, resource string }

// simulate asks IAM's decision on every action the commands need, one
// simulation per resource: IAM evaluates every action on every resource given.
func simulate(ctx context.Context, iamAPI iamapi.IAM, principal string, commands []string, scope PolicyScope, userName string) (map[decisionKey]string, error) {
	byResource := map[string][]string{}
	var order []string
	for _, c := range commands {
		cp, _ := PermissionsOf(c)
		for _, p := range cp.Needs {
			r := scope.ARN(p.Resource, userName)
			if _, ok := byResource[r]; !ok {
				order = append(order, r)
			}
			if !slices.Contains(byResource[r], p.Action) {
				byResource[r] = append(byResource[r], p.Action)
			}
		}
	}
	decisions := map[decisionKey]string{}
	for _, r := range order {
		pages := iam.NewSimulatePrincipalPolicyPaginator(iamAPI, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(principal),
			ActionNames:     byResource[r],
			ResourceArns:    []string{r},
		})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("iam:SimulatePrincipalPolicy for %s: %w; doctor needs iam:SimulatePrincipalPolicy on itself (it is in 'sesprov doctor --policy')", principal, err)
			}
			for _, e := range out.EvaluationResults {
				decisions[decisionKey{aws.ToString(e.EvalActionName), r}] = string(e.EvalDecision)
			}
		}
	}
	return decisions, nil
}

// verdict is command's check from the simulator's decisions.
func verdict(command string, decisions map[decisionKey]string, scope PolicyScope, userName string) CommandCheck {
	cp, _ := PermissionsOf(command)
	cc := CommandCheck{Command: command, Ready: true, Checked: len(cp.Needs)}
	for _, p := range cp.Needs {
		r := scope.ARN(p.Resource, userName)
		d, ok := decisions[decisionKey{p.Action, r}]
		if !ok {
			d = "not evaluated"
		}
		if d == "allowed" {
			continue
		}
		cc.Denied = append(cc.Denied, ActionCheck{Action: p.Action, Resource: r, Decision: d, When: p.When})
		if p.When == "" {
			cc.Ready = false
		}
	}
	return cc
}

// SimulationPrincipal turns the caller's ARN (sts:GetCallerIdentity) into the
// IAM principal the policy simulator takes. An IAM user is itself; root needs
// no simulation (root is true); an assumed-role session becomes its role's
// ARN, without the role's path, which the session ARN does not carry (roleName
// is returned so the caller can look the path up with iam:GetRole). A
// federated user cannot be simulated.
func SimulationPrincipal(callerARN string) (principal, roleName string, root bool, err error) {
	switch {
	case strings.HasSuffix(callerARN, ":root"):
		return "", "", true, nil
	case assumedRoleARN.MatchString(callerARN):
		m := assumedRoleARN.FindStringSubmatch(callerARN)
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", m[1], m[2], m[3]), m[3], false, nil
	case strings.Contains(callerARN, ":federated-user/"):
		return "", "", false, fail.Usagef("the caller %s is a federated user, which IAM's policy simulator cannot check: pass --principal-arn with the ARN of the IAM user or role whose policies apply", callerARN)
	}
	return callerARN, "", false, nil
}

func shortErr(err error) string {
	if err == nil {
		return "no ARN returned"
	}
	return err.Error()
}
