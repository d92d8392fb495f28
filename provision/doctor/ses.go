package doctor

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/scope"
)

// SESOptions ask for SES readiness per region: the account's state in each
// region, and optionally an identity (From) and a user's right to send as it.
type SESOptions struct {
	Regions  []string
	From     string // an address: its own identity, or its domain's, must be verified
	UserName string // with From: may this IAM user send as From (SimulatePrincipalPolicy)
}

// RegionReadiness is one region's row of doctor --regions.
type RegionReadiness struct {
	Region          string   `json:"region"`
	Access          string   `json:"access"` // "production" or "sandbox"
	ReviewStatus    string   `json:"production_access_request,omitempty"`
	Max24HourSend   float64  `json:"max_24_hour_send"`
	MaxSendRate     float64  `json:"max_send_rate"`
	SentLast24Hours float64  `json:"sent_last_24_hours"`
	SendingEnabled  bool     `json:"sending_enabled"`
	Enforcement     string   `json:"enforcement_status"`
	From            string   `json:"from,omitempty"`
	Identity        string   `json:"identity,omitempty"`        // the identity that answered: the address or its domain
	IdentityStatus  string   `json:"identity_status,omitempty"` // verified, or SES's status (PENDING, FAILED…), or not-found
	UserName        string   `json:"user_name,omitempty"`
	UserDecision    string   `json:"user_decision,omitempty"` // allowed, implicitDeny, explicitDeny
	Ready           bool     `json:"ready"`
	Advice          []string `json:"advice,omitempty"`
	Error           string   `json:"error,omitempty"`
}

// IdentityVerified is identity_status's value for a verified identity.
const IdentityVerified = "verified"

// SESClients gives a region's SES v2 client.
type SESClients func(region string) iamapi.SES

// Validate checks the options before any call.
func (o SESOptions) Validate() error {
	if len(o.Regions) == 0 {
		return fail.Usagef("no region given: pass --regions R1,R2")
	}
	if o.UserName != "" && o.From == "" {
		return fail.Usagef("--user-name with --regions checks whether the user may send as an address: add --from ADDR")
	}
	if o.From != "" {
		a, err := mail.ParseAddress(o.From)
		if err != nil || a.Address != o.From || a.Name != "" || strings.ContainsAny(o.From, "*? ") {
			return fail.Usagef("--from %q: not an email address: give one bare address, e.g. billing@example.com", o.From)
		}
	}
	if o.UserName != "" {
		return provision.ValidateUserName(o.UserName)
	}
	return nil
}

// SESReadiness answers, per region, whether mail can go out: production
// access or the SES sandbox, sending enabled or paused, enforcement status;
// with From, whether it (or its domain) is a verified identity there; with
// UserName, whether IAM lets the user send as From (one simulation: IAM is
// global). A region whose calls fail is a row with Error, not an error.
func SESReadiness(ctx context.Context, o SESOptions, ses SESClients, iamAPI iamapi.IAM) ([]RegionReadiness, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	decision := ""
	if o.UserName != "" {
		d, err := userMaySend(ctx, iamAPI, o.UserName, o.From)
		if err != nil {
			return nil, err
		}
		decision = d
	}
	rows := make([]RegionReadiness, len(o.Regions))
	provision.ForEach(ctx, len(o.Regions), 4, func(ctx context.Context, i int) {
		rows[i] = regionReadiness(ctx, ses(o.Regions[i]), o, o.Regions[i], decision)
	})
	return rows, ctx.Err()
}

// userMaySend simulates ses:SendRawEmail by the user with ses:FromAddress.
func userMaySend(ctx context.Context, api iamapi.IAM, user, from string) (string, error) {
	u, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
	if iamapi.IsNoSuchEntity(err) {
		return "", fail.Usagef("user %s does not exist (see 'sesprov list')", user)
	}
	if err != nil {
		return "", fmt.Errorf("iam:GetUser %s: %w", user, err)
	}
	out, err := api.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: u.User.Arn,
		ActionNames:     []string{policy.SendAction},
		ContextEntries: []iamtypes.ContextEntry{{
			ContextKeyName: aws.String(scope.FromAddressKey), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{from},
		}},
	})
	if err != nil {
		return "", fmt.Errorf("iam:SimulatePrincipalPolicy %s: %w", user, err)
	}
	if len(out.EvaluationResults) == 0 {
		return "", fmt.Errorf("iam:SimulatePrincipalPolicy %s: no result", user)
	}
	return string(out.EvaluationResults[0].EvalDecision), nil
}

func regionReadiness(ctx context.Context, api iamapi.SES, o SESOptions, region, decision string) RegionReadiness {
	r := RegionReadiness{Region: region, From: o.From, UserName: o.UserName, UserDecision: decision}
	acct, err := api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		r.Error = "sesv2:GetAccount: " + err.Error()
		return r
	}
	r.Access, r.SendingEnabled, r.Enforcement = "sandbox", acct.SendingEnabled, aws.ToString(acct.EnforcementStatus)
	if acct.ProductionAccessEnabled {
		r.Access = "production"
	}
	if q := acct.SendQuota; q != nil {
		r.Max24HourSend, r.MaxSendRate, r.SentLast24Hours = q.Max24HourSend, q.MaxSendRate, q.SentLast24Hours
	}
	if d := acct.Details; d != nil && d.ReviewDetails != nil {
		r.ReviewStatus = string(d.ReviewDetails.Status)
	}
	if o.From != "" {
		if err := r.checkIdentity(ctx, api, o.From); err != nil {
			r.Error = err.Error()
			return r
		}
	}
	r.judge()
	return r
}

// checkIdentity looks up the address's identity, then its domain's: SES
// lets an address send when either is verified.
func (r *RegionReadiness) checkIdentity(ctx context.Context, api iamapi.SES, from string) error {
	_, domain, _ := strings.Cut(from, "@")
	r.IdentityStatus = "not-found"
	for _, name := range []string{from, domain} {
		out, err := api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(name)})
		if iamapi.HasCode(err, "NotFoundException") {
			continue
		}
		if err != nil {
			return fmt.Errorf("sesv2:GetEmailIdentity %s: %w", name, err)
		}
		r.Identity = name
		if out.VerifiedForSendingStatus {
			r.IdentityStatus = IdentityVerified
			return nil
		}
		r.IdentityStatus = string(out.VerificationStatus)
	}
	return nil
}

// judge sets Ready and says what to do about each thing that is not.
func (r *RegionReadiness) judge() {
	var advice []string
	if r.Access == "sandbox" {
		a := fmt.Sprintf("in the SES sandbox: %.0f messages a day, %.0f a second, only to verified addresses (and the mailbox simulator); to leave it, request production access in the SES console (Account dashboard) or with 'aws sesv2 put-account-details --region %s --production-access-enabled …'", r.Max24HourSend, r.MaxSendRate, r.Region)
		if r.ReviewStatus != "" {
			a += " (request " + r.ReviewStatus + ")"
		}
		advice = append(advice, a)
	}
	if !r.SendingEnabled {
		advice = append(advice, "sending is paused: SES (for bounces or complaints, see its reputation dashboard) or someone with sesv2:PutAccountSendingAttributes paused it; resume with 'aws sesv2 put-account-sending-attributes --sending-enabled --region "+r.Region+"' once the cause is fixed")
	}
	if r.Enforcement != "" && !strings.EqualFold(r.Enforcement, "HEALTHY") {
		advice = append(advice, "enforcement status "+r.Enforcement+": see the SES reputation dashboard in "+r.Region)
	}
	if r.From != "" && r.IdentityStatus != IdentityVerified {
		advice = append(advice, fmt.Sprintf("%s is not a verified identity here (%s): verify the address or its domain in SES in %s; identities are per region", r.From, r.IdentityStatus, r.Region))
	}
	switch r.UserDecision {
	case "", string(policy.Allowed):
	case string(policy.ExplicitDeny):
		advice = append(advice, fmt.Sprintf("IAM denies %s sending as %s (explicitDeny): its From-address scope or another policy excludes it ('sesprov list' shows the scope; 'sesprov scope --user-name %s --allow-from …' changes it)", r.UserName, r.From, r.UserName))
	default:
		advice = append(advice, fmt.Sprintf("IAM does not let %s send at all (%s): it lacks ses:SendRawEmail; is it in the sending group? ('sesprov list', 'sesprov migrate')", r.UserName, r.UserDecision))
	}
	r.Advice, r.Ready = advice, len(advice) == 0
}
