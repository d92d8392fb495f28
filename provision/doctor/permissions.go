package doctor

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/org"
)

// ResourceKind says which IAM resource an action is checked (and granted) on.
type ResourceKind string

// The resource kinds of the operator policy.
const (
	ResourceUser     ResourceKind = "user"      // the SMTP users: arn:…:user{path}*
	ResourceGroup    ResourceKind = "group"     // the sending group: arn:…:group/NAME
	ResourceAnyGroup ResourceKind = "any-group" // any group (delete-user leaves every group): arn:…:group/*
	ResourcePolicy   ResourceKind = "policy"    // the sending policy: arn:…:policy/NAME
	ResourceAnyMFA   ResourceKind = "any-mfa"   // virtual MFA devices (named freely): arn:…:mfa/*
	ResourceAny      ResourceKind = "*"         // actions IAM does not scope to a resource

	// The secret stores (--deliver-to secretsmanager:NAME, ssm:NAME) and
	// the customer managed keys (--kms-key-id) of the account, any region.
	ResourceSecret    ResourceKind = "secret"    // arn:…:secretsmanager:*:ACCOUNT:secret:*
	ResourceParameter ResourceKind = "parameter" // arn:…:ssm:*:ACCOUNT:parameter/*
	ResourceKMSKey    ResourceKind = "kms-key"   // arn:…:kms:*:ACCOUNT:key/*
	// ResourceMemberRole is the role --org assumes in each member account:
	// arn:…:iam::*:role/NAME.
	ResourceMemberRole ResourceKind = "member-role"
)

// Permission is one IAM action a command calls.
type Permission struct {
	Action   string       // "iam:CreateUser"
	Resource ResourceKind // what it acts on
	// When is empty for an action the command always may call; otherwise the
	// situation that needs it ("--tag", "setup: the policy does not exist yet").
	// doctor reports a denied conditional action without failing.
	When string
}

// CommandPermissions is what one command needs.
type CommandPermissions struct {
	Command string
	Needs   []Permission
}

// Situations that need an action only sometimes.
const (
	whenSetup  = "setup: the sending policy or group does not exist yet, or is not attached"
	whenRepair = "--repair-policy"
	whenPB     = "--permissions-boundary"
	whenAll    = "--all"
	whenRole   = "an assumed role: finds the role's path"
	whenSM     = "--deliver-to secretsmanager:NAME"
	whenSSM    = "--deliver-to ssm:NAME"
	whenKMS    = "--kms-key-id: a customer managed key"
	whenScan   = "discovery in pages (denied: read user by user, slower)"
	whenNoScan = "when iam:GetAccountAuthorizationDetails is denied"
	whenScope  = "--allow-from"
	whenPrune  = "apply --prune"
)

// storeDelivery is what delivering new credentials to a secret store needs
// (the calls of deliver.SecretsManager and deliver.SSM): a secret is
// written with PutSecretValue, or made with CreateSecret and its sesprov
// tag (TagResource), or PutParameter; after a failed write DescribeSecret or
// DescribeParameters tells whether it acted anyway (its answer lost). A customer managed key needs the KMS calls the store
// makes on the caller's behalf.
var storeDelivery = []Permission{
	{"secretsmanager:PutSecretValue", ResourceSecret, whenSM},
	{"secretsmanager:CreateSecret", ResourceSecret, whenSM},
	{"secretsmanager:TagResource", ResourceSecret, whenSM},
	{"secretsmanager:DescribeSecret", ResourceSecret, whenSM}, // after a failed write: did it act?
	{"ssm:PutParameter", ResourceParameter, whenSSM},
	{"ssm:DescribeParameters", ResourceAny, whenSSM}, // after a failed write: did it act? (not scoped to a parameter)
	{"kms:Encrypt", ResourceKMSKey, whenKMS},
	{"kms:GenerateDataKey", ResourceKMSKey, whenKMS},
	{"kms:Decrypt", ResourceKMSKey, whenKMS},
}

// listing is what list reads, and audit after it.
var listing = []Permission{
	{"iam:GetAccountAuthorizationDetails", ResourceAny, whenScan},
	{"iam:GetGroup", ResourceGroup, whenNoScan},
	{"iam:ListUsers", ResourceAny, whenNoScan},
	{"iam:ListUserPolicies", ResourceUser, whenNoScan},
	{"iam:GetUserPolicy", ResourceUser, ""},
	{"iam:ListGroupsForUser", ResourceUser, whenNoScan},
	{"iam:ListAccessKeys", ResourceUser, ""},
	{"iam:GetAccessKeyLastUsed", ResourceUser, ""},
}

// sendingAccess is what every command that puts a user in the sending group
// needs to ensure the group and its policy (EnsureSendingAccess).
var sendingAccess = []Permission{
	{"iam:GetPolicy", ResourcePolicy, ""},
	{"iam:GetPolicyVersion", ResourcePolicy, ""},
	{"iam:ListGroupPolicies", ResourceGroup, ""},
	{"iam:GetGroupPolicy", ResourceGroup, ""},
	{"iam:ListAttachedGroupPolicies", ResourceGroup, ""},
	{"iam:CreatePolicy", ResourcePolicy, whenSetup},
	{"iam:CreateGroup", ResourceGroup, whenSetup},
	{"iam:AttachGroupPolicy", ResourceGroup, whenSetup},
	{"iam:ListPolicyVersions", ResourcePolicy, whenRepair},
	{"iam:CreatePolicyVersion", ResourcePolicy, whenRepair},
	{"iam:DeletePolicyVersion", ResourcePolicy, whenRepair},
}

// CommandPermissionTable is every IAM action each command calls: the one
// table behind `doctor`'s checks and `doctor --policy`'s document, so the two
// cannot drift apart. Keep it in step with the calls in this package (the
// IAM interface in awsapi.go lists them all). sts:GetCallerIdentity needs no
// permission and is not listed.
var CommandPermissionTable = []CommandPermissions{
	{"create-user", createUserNeeds},
	{"rotate", rotateNeeds}, // listing: --all finds the users as list does
	{"delete-user", deleteUserNeeds},
	{"list", listing},
	{"audit", concat(listing, []Permission{
		{"iam:ListUserTags", ResourceUser, whenNoScan}, // the rotation record
	})},
	// --org (list, audit) in the management or a delegated administrator
	// account; in each member account the role assumed needs list's or
	// audit's permissions.
	{"org", []Permission{
		{"organizations:ListAccounts", ResourceAny, ""},
		{"sts:AssumeRole", ResourceMemberRole, ""},
	}},
	{"migrate", concat([]Permission{
		{"iam:GetAccountAuthorizationDetails", ResourceAny, whenAll},
		{"iam:ListUsers", ResourceAny, whenAll},
		{"iam:ListUserPolicies", ResourceUser, ""},
		{"iam:GetUserPolicy", ResourceUser, ""},
		{"iam:DeleteUserPolicy", ResourceUser, ""},
		{"iam:ListUserTags", ResourceUser, ""},
		{"iam:UntagUser", ResourceUser, ""},
		{"iam:ListGroupsForUser", ResourceUser, ""},
		{"iam:AddUserToGroup", ResourceGroup, ""},
		{"iam:GetGroup", ResourceGroup, whenAll}, // counts the members migrated before
	}, sendingAccess)},
	{"convert", concat([]Permission{
		{"iam:GetAccessKeyLastUsed", ResourceUser, ""},
		{"iam:GetUser", ResourceUser, ""},
		{"iam:ListAccessKeys", ResourceUser, ""}, // an inactive key is refused
		{"iam:ListGroupsForUser", ResourceUser, ""},
		{"iam:AddUserToGroup", ResourceGroup, ""},
	}, sendingAccess, storeDelivery)},
	{"scope", scopeNeeds},
	{"apply", applyNeeds()},
	{"verify", nil}, // SMTP only: no IAM call
	{"doctor", []Permission{
		{"iam:SimulatePrincipalPolicy", ResourceAny, ""},
		{"iam:GetRole", ResourceAny, whenRole},
		{"ses:GetAccount", ResourceAny, "--regions"},
		{"ses:GetEmailIdentity", ResourceAny, "--regions with --from"},
	}},
}

// The rows of the commands apply combines.
var (
	createUserNeeds = concat([]Permission{
		{"iam:GetUser", ResourceUser, ""},
		{"iam:CreateUser", ResourceUser, ""},
		{"iam:ListUserTags", ResourceUser, ""},
		{"iam:ListGroupsForUser", ResourceUser, ""},
		{"iam:AddUserToGroup", ResourceGroup, ""},
		{"iam:ListAccessKeys", ResourceUser, ""},
		{"iam:CreateAccessKey", ResourceUser, ""},
		{"iam:PutUserPolicy", ResourceUser, whenScope},
		{"iam:DeleteUserPolicy", ResourceUser, whenScope}, // a batch user undone
		{"iam:DeleteAccessKey", ResourceUser, ""},         // a key whose delivery failed is rolled back
		{"iam:TagUser", ResourceUser, ""},                 // CreateUser's Tags (sesprov:created-by, always sent) need it; also --tag on a user being completed
		{"iam:PutUserPermissionsBoundary", ResourceUser, whenPB},
	}, sendingAccess, storeDelivery)
	rotateNeeds = append([]Permission{
		{"iam:GetUser", ResourceUser, ""},
		{"iam:ListUserTags", ResourceUser, ""},
		{"iam:ListGroupsForUser", ResourceUser, ""}, // is it an SMTP user?
		{"iam:ListUserPolicies", ResourceUser, ""},
		{"iam:TagUser", ResourceUser, ""}, // the rotation's progress is recorded on the user
		{"iam:UntagUser", ResourceUser, ""},
		{"iam:ListAccessKeys", ResourceUser, ""},
		{"iam:CreateAccessKey", ResourceUser, ""},
		{"iam:UpdateAccessKey", ResourceUser, ""},
		{"iam:DeleteAccessKey", ResourceUser, ""},
		{"iam:GetAccessKeyLastUsed", ResourceUser, "--grace: is the superseded key still in use?"},
	}, append(storeDelivery, listing...)...)
	deleteUserNeeds = []Permission{
		{"iam:GetUser", ResourceUser, ""},
		{"iam:ListUserTags", ResourceUser, ""},
		{"iam:ListGroupsForUser", ResourceUser, ""},
		{"iam:RemoveUserFromGroup", ResourceAnyGroup, ""},
		{"iam:ListUserPolicies", ResourceUser, ""},
		{"iam:DeleteUserPolicy", ResourceUser, ""},
		{"iam:ListAttachedUserPolicies", ResourceUser, ""},
		{"iam:DetachUserPolicy", ResourceUser, ""},
		{"iam:ListAccessKeys", ResourceUser, ""},
		{"iam:DeleteAccessKey", ResourceUser, ""},
		{"iam:GetLoginProfile", ResourceUser, ""},
		{"iam:DeleteLoginProfile", ResourceUser, ""},
		{"iam:ListSigningCertificates", ResourceUser, ""},
		{"iam:DeleteSigningCertificate", ResourceUser, ""},
		{"iam:ListSSHPublicKeys", ResourceUser, ""},
		{"iam:DeleteSSHPublicKey", ResourceUser, ""},
		{"iam:ListServiceSpecificCredentials", ResourceUser, ""},
		{"iam:DeleteServiceSpecificCredential", ResourceUser, ""},
		{"iam:ListMFADevices", ResourceUser, ""},
		{"iam:DeactivateMFADevice", ResourceUser, ""},
		{"iam:DeleteVirtualMFADevice", ResourceAnyMFA, ""},
		{"iam:TagUser", ResourceUser, ""}, // a deletion mark, so a cut-short run is finished
		{"iam:DeleteUser", ResourceUser, ""},
	}
	scopeNeeds = []Permission{
		{"iam:GetUser", ResourceUser, ""},
		{"iam:GetUserPolicy", ResourceUser, ""},
		{"iam:PutUserPolicy", ResourceUser, ""},
		{"iam:DeleteUserPolicy", ResourceUser, "--remove"},
	}
)

// applyNeeds is apply's row: it reads the account in pages (no fallback),
// creates senders as create-user, rotates them as rotate, scopes them as
// scope, sets tags and boundaries, and deletes unlisted users as delete-user
// with --prune.
func applyNeeds() []Permission {
	var out []Permission
	seen := map[string]bool{}
	add := func(when string, ps ...Permission) {
		for _, p := range ps {
			if p.When == whenNoScan || p.When == whenAll || seen[p.Action] {
				continue // apply always scans; --all is rotate's
			}
			if when != "" {
				p.When = when
			}
			seen[p.Action] = true
			out = append(out, p)
		}
	}
	add("", Permission{"iam:GetAccountAuthorizationDetails", ResourceAny, ""})
	add("", createUserNeeds...)
	add("", rotateNeeds...)
	add(whenScope, scopeNeeds...)
	add(whenPrune, deleteUserNeeds...)
	return out
}

func concat(lists ...[]Permission) []Permission {
	var out []Permission
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// PermissionsOf returns the table's row for command.
func PermissionsOf(command string) (CommandPermissions, bool) {
	for _, c := range CommandPermissionTable {
		if c.Command == command {
			return c, true
		}
	}
	return CommandPermissions{}, false
}

// CommandNames lists the commands of the table, in its order.
func CommandNames() []string {
	var out []string
	for _, c := range CommandPermissionTable {
		out = append(out, c.Command)
	}
	return out
}

// PolicyScope names the resources the operator policy is confined to.
type PolicyScope struct {
	Partition  string // "aws" when empty
	AccountID  string // 12 digits
	UserPath   string // the SMTP users' path (create-user --path); "/" when empty
	GroupName  string // provision.DefaultGroupName when empty
	PolicyName string // provision.DefaultPolicyName when empty
	RoleName   string // the member accounts' role --org assumes; org.DefaultRoleName when empty
}

func (s PolicyScope) withDefaults() PolicyScope {
	if s.Partition == "" {
		s.Partition = "aws"
	}
	if s.UserPath == "" {
		s.UserPath = "/"
	}
	if s.GroupName == "" {
		s.GroupName = provision.DefaultGroupName
	}
	if s.PolicyName == "" {
		s.PolicyName = provision.DefaultPolicyName
	}
	if s.RoleName == "" {
		s.RoleName = org.DefaultRoleName
	}
	return s
}

// ARN returns the resource ARN of kind in this scope; userName names one
// user (for a simulation) or, when empty, every user under the path.
func (s PolicyScope) ARN(kind ResourceKind, userName string) string {
	s = s.withDefaults()
	prefix := "arn:" + s.Partition + ":iam::" + s.AccountID + ":"
	switch kind {
	case ResourceUser:
		if userName == "" {
			userName = "*"
		}
		return prefix + "user" + s.UserPath + userName
	case ResourceGroup:
		return prefix + "group/" + s.GroupName
	case ResourceAnyGroup:
		return prefix + "group/*"
	case ResourcePolicy:
		return prefix + "policy/" + s.PolicyName
	case ResourceAnyMFA:
		return prefix + "mfa/*"
	case ResourceSecret:
		return "arn:" + s.Partition + ":secretsmanager:*:" + s.AccountID + ":secret:*"
	case ResourceParameter:
		return "arn:" + s.Partition + ":ssm:*:" + s.AccountID + ":parameter/*"
	case ResourceKMSKey:
		return "arn:" + s.Partition + ":kms:*:" + s.AccountID + ":key/*"
	case ResourceMemberRole:
		return "arn:" + s.Partition + ":iam::*:role/" + s.RoleName
	}
	return "*"
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  any                          `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// OperatorPolicy returns the least-privilege IAM policy (JSON, indented) for
// running commands (all of them when commands is empty), confined to scope.
// withSetup=false leaves out what only creating or repairing the sending group
// and policy needs: an administrator can set those up once, and an operator
// who cannot rewrite the policy cannot widen what SMTP users may do.
func OperatorPolicy(scope PolicyScope, commands []string, withSetup bool) ([]byte, error) {
	if commands == nil {
		commands = CommandNames()
	}
	byKind := map[ResourceKind][]string{}
	for _, name := range commands {
		c, ok := PermissionsOf(name)
		if !ok {
			return nil, fail.Usagef("unknown command %q: choose from %s", name, strings.Join(CommandNames(), ", "))
		}
		for _, p := range c.Needs {
			if !withSetup && (p.When == whenSetup || p.When == whenRepair) {
				continue
			}
			if !slices.Contains(byKind[p.Resource], p.Action) {
				byKind[p.Resource] = append(byKind[p.Resource], p.Action)
			}
		}
	}
	doc := policyDocument{Version: "2012-10-17"}
	add := func(sid string, kind ResourceKind, resource any, cond map[string]map[string]string, filter func(string) bool) {
		var acts []string
		for _, a := range byKind[kind] {
			if filter == nil || filter(a) {
				acts = append(acts, a)
			}
		}
		if len(acts) == 0 {
			return
		}
		slices.Sort(acts)
		doc.Statement = append(doc.Statement, policyStatement{Sid: sid, Effect: "Allow", Action: acts, Resource: resource, Condition: cond})
	}
	isAttach := func(a string) bool { return a == "iam:AttachGroupPolicy" }
	add("SmtpUsers", ResourceUser, scope.ARN(ResourceUser, ""), nil, nil)
	add("SendingGroup", ResourceGroup, scope.ARN(ResourceGroup, ""), nil, func(a string) bool { return !isAttach(a) })
	// The sending group may get the sending policy attached, and no other.
	add("AttachOnlyTheSendingPolicy", ResourceGroup, scope.ARN(ResourceGroup, ""),
		map[string]map[string]string{"ArnEquals": {"iam:PolicyARN": scope.ARN(ResourcePolicy, "")}}, isAttach)
	add("LeaveAnyGroup", ResourceAnyGroup, scope.ARN(ResourceAnyGroup, ""), nil, nil)
	add("RemoveVirtualMFADevices", ResourceAnyMFA, scope.ARN(ResourceAnyMFA, ""), nil, nil)
	add("SendingPolicy", ResourcePolicy, scope.ARN(ResourcePolicy, ""), nil, nil)
	add("EnterMemberAccounts", ResourceMemberRole, scope.ARN(ResourceMemberRole, ""), nil, nil)
	add("ReadOnlyUnscoped", ResourceAny, "*", nil, nil)
	add("DeliverToSecretsManager", ResourceSecret, scope.ARN(ResourceSecret, ""), nil, nil)
	add("DeliverToParameterStore", ResourceParameter, scope.ARN(ResourceParameter, ""), nil, nil)
	add("EncryptWithCustomerKey", ResourceKMSKey, scope.ARN(ResourceKMSKey, ""), nil, nil)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode operator policy: %w", err)
	}
	return append(b, '\n'), nil
}
