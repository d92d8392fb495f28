package sesv2

import (
	"encoding/json"
	"slices"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// account is one region's SES account.
type account struct {
	Production     bool                 `json:"production_access"`
	SendingEnabled bool                 `json:"sending_enabled"`
	Details        *details             `json:"details,omitempty"`
	Identities     map[string]*identity `json:"identities"` // by name
}

// details is what PutAccountDetails records (the production access request).
type details struct {
	MailType                        string
	WebsiteURL                      string
	ContactLanguage                 string   `json:",omitempty"`
	UseCaseDescription              string   `json:",omitempty"`
	AdditionalContactEmailAddresses []string `json:",omitempty"`
	ReviewDetails                   *review  `json:",omitempty"`
}

type review struct {
	Status string // PENDING, GRANTED, DENIED, FAILED
	CaseId string
}

// Sending quotas: a sandboxed account's fixed limits, and the starting
// quota AWS commonly grants with production access.
var (
	sandboxQuota    = quota{Max24HourSend: 200, MaxSendRate: 1}
	productionQuota = quota{Max24HourSend: 50000, MaxSendRate: 14}
)

type quota struct {
	Max24HourSend   float64
	MaxSendRate     float64
	SentLast24Hours float64
}

type accountOutput struct {
	DedicatedIpAutoWarmupEnabled bool
	Details                      *details `json:",omitempty"`
	EnforcementStatus            string
	ProductionAccessEnabled      bool
	SendQuota                    quota
	SendingEnabled               bool
	SuppressionAttributes        map[string][]string
}

func getAccount(c *call) (any, *awsjson.Error) {
	a := c.acct
	q := sandboxQuota
	if a.Production {
		q = productionQuota
	}
	return accountOutput{Details: a.Details, EnforcementStatus: "HEALTHY", ProductionAccessEnabled: a.Production,
		SendQuota: q, SendingEnabled: a.SendingEnabled, SuppressionAttributes: map[string][]string{"SuppressedReasons": {}}}, nil
}

func putSending(c *call) (any, *awsjson.Error) {
	var in struct{ SendingEnabled bool }
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	c.acct.SendingEnabled = in.SendingEnabled
	return struct{}{}, nil
}

type detailsInput struct {
	MailType                        string
	WebsiteURL                      string
	ContactLanguage                 string
	UseCaseDescription              string
	AdditionalContactEmailAddresses []string
	ProductionAccessEnabled         *bool
}

// putDetails records the account's details; asking for production access
// opens a review that stays PENDING until SetProductionAccess decides it.
func putDetails(c *call) (any, *awsjson.Error) {
	var in detailsInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{"MARKETING", "TRANSACTIONAL"}, in.MailType) {
		return nil, errf(BadRequest, "MailType must be MARKETING or TRANSACTIONAL.")
	}
	if in.WebsiteURL == "" || len(in.WebsiteURL) > 1000 {
		return nil, errf(BadRequest, "WebsiteURL must be 1 to 1000 characters.")
	}
	if in.ContactLanguage != "" && in.ContactLanguage != "EN" && in.ContactLanguage != "JA" {
		return nil, errf(BadRequest, "ContactLanguage must be EN or JA.")
	}
	d := &details{MailType: in.MailType, WebsiteURL: in.WebsiteURL, ContactLanguage: in.ContactLanguage,
		UseCaseDescription: in.UseCaseDescription, AdditionalContactEmailAddresses: in.AdditionalContactEmailAddresses}
	if c.acct.Details != nil {
		d.ReviewDetails = c.acct.Details.ReviewDetails
	}
	if in.ProductionAccessEnabled != nil && *in.ProductionAccessEnabled && !c.acct.Production {
		d.ReviewDetails = &review{Status: "PENDING", CaseId: awsjson.RandomString("0123456789", 11)}
	}
	c.acct.Details = d
	return struct{}{}, nil
}

func decode(body []byte, v any) *awsjson.Error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf(BadRequest, "could not parse the request: %v", err)
	}
	return nil
}

// SetProductionAccess moves region in or out of the SES sandbox ("" = all
// regions, and the default for regions not yet used). A pending review
// from PutAccountDetails is decided accordingly.
func (s *Server) SetProductionAccess(region string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := func(a *account) {
		a.Production = on
		if a.Details != nil && a.Details.ReviewDetails != nil {
			a.Details.ReviewDetails.Status = map[bool]string{true: "GRANTED", false: "DENIED"}[on]
		}
	}
	if region == "" {
		s.opts.ProductionAccess = on
		for _, a := range s.regions {
			set(a)
		}
	} else {
		set(s.account(region))
	}
	s.changes++
}

// ProductionAccess reports whether region is out of the SES sandbox.
func (s *Server) ProductionAccess(region string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account(region).Production
}
