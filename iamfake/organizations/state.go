package organizations

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Account is an account of the organization, as the controls take it.
type Account struct {
	ID    string // 12 digits
	Name  string // default "Account ID"
	Email string // default "aws+ID@example.com"
	// State is the account's state: ACTIVE (the default), SUSPENDED,
	// PENDING_CLOSURE, CLOSED or PENDING_ACTIVATION. The older Status is
	// derived from it.
	State        string
	JoinedMethod string    // INVITED or CREATED (the default; the management account's is INVITED)
	Joined       time.Time // default now
}

// The account states (AWS's State; the retiring Status has the first three).
const (
	StateActive            = "ACTIVE"
	StateSuspended         = "SUSPENDED"
	StatePendingClosure    = "PENDING_CLOSURE"
	StateClosed            = "CLOSED"
	StatePendingActivation = "PENDING_ACTIVATION"
)

// status is the retiring Status for a State. Status has no CLOSED nor
// PENDING_ACTIVATION: a closed account is SUSPENDED until AWS removes it,
// and an account still signing up is taken as ACTIVE (an assumption: AWS
// does not document the mapping).
func status(state string) string {
	switch state {
	case StateSuspended, StateClosed:
		return StateSuspended
	case StatePendingClosure:
		return StatePendingClosure
	}
	return StateActive
}

type organization struct {
	ID, RootID string
	FeatureSet string
	Management string // account ID
	Accounts   map[string]*Account
	Delegated  []*delegation // in registration order
}

type delegation struct {
	Account, Service string
	Enabled          time.Time
}

type state struct {
	Org  *organization     // nil: no organization
	Keys map[string]string // access key ID -> the account it belongs to
}

func newState() *state { return &state{Keys: map[string]string{}} }

func (o *organization) arn() string {
	return "arn:aws:organizations::" + o.Management + ":organization/" + o.ID
}

func (o *organization) accountARN(id string) string {
	return "arn:aws:organizations::" + o.Management + ":account/" + o.ID + "/" + id
}

// sortedAccounts is the organization's accounts in ID order.
func (o *organization) sortedAccounts() []*Account {
	out := make([]*Account, 0, len(o.Accounts))
	for _, a := range o.Accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (o *organization) isDelegated(account string) bool {
	for _, d := range o.Delegated {
		if d.Account == account {
			return true
		}
	}
	return false
}

func validAccountID(id string) bool {
	return len(id) == 12 && strings.Trim(id, "0123456789") == ""
}

func (s *Server) fill(a Account, joinedMethod string) (*Account, error) {
	if !validAccountID(a.ID) {
		return nil, fmt.Errorf("account ID %q: want 12 digits", a.ID)
	}
	if a.Name == "" {
		a.Name = "Account " + a.ID
	}
	if a.Email == "" {
		a.Email = "aws+" + a.ID + "@example.com"
	}
	if a.State == "" {
		a.State = StateActive
	}
	switch a.State {
	case StateActive, StateSuspended, StatePendingClosure, StateClosed, StatePendingActivation:
	default:
		return nil, fmt.Errorf("account %s: unknown state %q", a.ID, a.State)
	}
	if a.JoinedMethod == "" {
		a.JoinedMethod = joinedMethod
	}
	if a.Joined.IsZero() {
		a.Joined = s.opts.Now()
	}
	return &a, nil
}

// CreateOrganization makes an organization (all features) whose
// management account is management; its ID defaults to the server's
// account. It fails if an organization exists.
func (s *Server) CreateOrganization(management Account) error {
	if management.ID == "" {
		management.ID = s.opts.AccountID
	}
	a, err := s.fill(management, "INVITED")
	if err != nil {
		return fmt.Errorf("create organization: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Org != nil {
		return fmt.Errorf("create organization: organization %s exists", s.st.Org.ID)
	}
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	s.st.Org = &organization{
		ID: "o-" + awsjson.RandomString(alnum, 10), RootID: "r-" + awsjson.RandomString(alnum, 4),
		FeatureSet: "ALL", Management: a.ID, Accounts: map[string]*Account{a.ID: a},
	}
	s.changes++
	return nil
}

// DeleteOrganization removes the organization (and its accounts and
// delegated administrators).
func (s *Server) DeleteOrganization() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Org = nil
	s.changes++
}

// AddAccount adds a member account, or replaces the one with its ID.
func (s *Server) AddAccount(acct Account) error {
	a, err := s.fill(acct, "CREATED")
	if err != nil {
		return fmt.Errorf("add account: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Org == nil {
		return fmt.Errorf("add account %s: no organization", a.ID)
	}
	s.st.Org.Accounts[a.ID] = a
	s.changes++
	return nil
}

// SetAccountState changes an account's State (and so its Status).
func (s *Server) SetAccountState(id, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Org == nil || s.st.Org.Accounts[id] == nil {
		return fmt.Errorf("set state of account %s: not in the organization", id)
	}
	a := *s.st.Org.Accounts[id]
	a.State = state
	filled, err := s.fill(a, "")
	if err != nil {
		return fmt.Errorf("set state: %w", err)
	}
	s.st.Org.Accounts[id] = filled
	s.changes++
	return nil
}

// RegisterDelegatedAdministrator makes a member account a delegated
// administrator for service (a service principal, e.g.
// "iam.amazonaws.com"): it may then list and describe the accounts.
func (s *Server) RegisterDelegatedAdministrator(account, service string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.Org
	switch {
	case o == nil || o.Accounts[account] == nil:
		return fmt.Errorf("register delegated administrator %s: not in the organization", account)
	case account == o.Management:
		return fmt.Errorf("register delegated administrator %s: the management account cannot be one", account)
	}
	for _, d := range o.Delegated {
		if d.Account == account && d.Service == service {
			return nil
		}
	}
	o.Delegated = append(o.Delegated, &delegation{Account: account, Service: service, Enabled: s.opts.Now()})
	s.changes++
	return nil
}

// SetKeyAccount makes requests signed with the access key ID come from
// account: a client with that key is then a member account, or the
// management account, as the test needs. Other keys are Options.AccountID.
func (s *Server) SetKeyAccount(accessKeyID, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Keys[accessKeyID] = account
	s.changes++
}

// OrganizationID is the organization's ID ("" when there is none).
func (s *Server) OrganizationID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Org == nil {
		return ""
	}
	return s.st.Org.ID
}

// Accounts returns the organization's accounts in ID order.
func (s *Server) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Org == nil {
		return nil
	}
	var out []Account
	for _, a := range s.st.Org.sortedAccounts() {
		out = append(out, *a)
	}
	return out
}
