package apply_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/apply"
	"github.com/sesprov/sesprov/provision/deleteuser"
	"github.com/sesprov/sesprov/provision/scope"
)

// clock is the fakes' clock and apply's: tests move it to age keys.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// bench is the fakes (IAM, Secrets Manager, SSM) on one endpoint, and the
// real SDK clients talking HTTP to them.
type bench struct {
	t     testing.TB
	srv   *awsfake.Server
	cfg   aws.Config
	iam   *iam.Client
	clock *clock
	// stores counts the stores' writes when reset was last called.
	stores map[string]int
}

// storeWrites counts the stores' writes by operation.
func (b *bench) storeWrites() map[string]int {
	return map[string]int{
		"secretsmanager:CreateSecret":   b.srv.SecretsManager.CallCount("CreateSecret"),
		"secretsmanager:PutSecretValue": b.srv.SecretsManager.CallCount("PutSecretValue"),
		"ssm:PutParameter":              b.srv.SSM.CallCount("PutParameter"),
	}
}

// reset starts counting calls afresh.
func (b *bench) reset() {
	b.srv.IAM.ResetCalls()
	b.stores = b.storeWrites()
}

func newBench(t testing.TB) *bench {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	srv, cfg := iamfaketest.StartAll(t, awsfake.Options{IAM: iamfake.Options{Now: c.Now}})
	return &bench{t: t, srv: srv, cfg: cfg, iam: iam.NewFromConfig(cfg), clock: c}
}

func (b *bench) deps() apply.Deps {
	return apply.Deps{IAM: b.iam, STS: sts.NewFromConfig(b.cfg), Open: func(dest deliver.Destination, users []string, check bool) (*deliver.Deliverer, error) {
		return deliver.Open(dest, deliver.Options{Format: output.FormatJSON, Users: users, DryRun: check,
			Store: deliver.StoreOptions{Connect: func(context.Context) (deliver.Stores, error) {
				return deliver.NewStores(b.cfg, "us-east-1"), nil
			}}})
	}}
}

// run plans f and applies it (or only plans, dryRun), failing the test on
// an error of the run itself; it returns the lines by sender name.
func (b *bench) run(f *apply.File, o apply.Options) map[string]apply.Result {
	b.t.Helper()
	o.Now = b.clock.Now
	ctx := context.Background()
	p, err := apply.MakePlan(ctx, b.iam, f, o)
	if err != nil {
		b.t.Fatalf("MakePlan: %v", err)
	}
	if o.DryRun {
		p.CheckDeliveries(ctx, b.deps()) // as the command line does
	}
	rs := p.Results()
	if !o.DryRun {
		if rs, err = p.Apply(ctx, b.deps(), nil); err != nil {
			b.t.Fatalf("Apply: %v", err)
		}
	}
	out := map[string]apply.Result{}
	for _, r := range rs {
		out[r.Name] = r
	}
	return out
}

// mutations are the calls (IAM's and the stores') that change something.
func (b *bench) mutations() []string {
	var out []string
	for _, c := range b.srv.IAM.Calls() {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			out = append(out, c.Action)
		}
	}
	for op, n := range b.storeWrites() {
		for range n - b.stores[op] {
			out = append(out, op)
		}
	}
	return out
}

func regions(t testing.TB, names ...string) []derive.Region {
	t.Helper()
	rs, err := derive.ResolveRegions(names, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func dest(t testing.TB, s string) deliver.Destination {
	t.Helper()
	d, err := deliver.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	d.Flag = "deliver_to" // as Parse of a senders file
	return d
}

func addrs(t *testing.T, a ...string) []string {
	t.Helper()
	out, err := scope.ParseAddresses(a)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// twoSenders is the example of the docs: one sender in Secrets Manager,
// scoped, one in SSM in one region.
func twoSenders(t *testing.T) *apply.File {
	return &apply.File{Name: "senders.yaml", Senders: []apply.Sender{
		{Name: "billing-mailer", Regions: regions(t, "us-east-1", "eu-west-1"), DeliverTo: dest(t, "secretsmanager:ses/{user}"),
			MaxKeyAge: 90 * 24 * time.Hour, Grace: 24 * time.Hour, AllowFrom: addrs(t, "billing@example.com"), Path: "/",
			Tags: []provision.Tag{{Key: "team", Value: "billing"}}},
		{Name: "alerts", Regions: regions(t, "eu-west-1"), DeliverTo: dest(t, "ssm:/mail/{user}"),
			MaxKeyAge: 90 * 24 * time.Hour, Grace: 24 * time.Hour, Path: "/"},
	}}
}

func wantStatus(t *testing.T, rs map[string]apply.Result, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for n, r := range rs {
		got[n] = r.Status
		if r.Status == apply.StatusFailed || r.Status == apply.StatusConflict {
			t.Logf("%s: %s", n, r.Error)
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}

// storedKey reads the access key ID each store holds for the example.
func (b *bench) storedKeys() (billing, alerts string) {
	b.t.Helper()
	ctx := context.Background()
	sv, err := secretsmanager.NewFromConfig(b.cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/billing-mailer")})
	if err != nil {
		b.t.Fatal(err)
	}
	pv, err := ssm.NewFromConfig(b.cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/mail/alerts"), WithDecryption: aws.Bool(true)})
	if err != nil {
		b.t.Fatal(err)
	}
	return keyOf(b.t, aws.ToString(sv.SecretString)), keyOf(b.t, aws.ToString(pv.Parameter.Value))
}

func keyOf(t testing.TB, doc string) string {
	t.Helper()
	var v struct {
		AccessKeyID string `json:"access_key_id"`
		Creds       []struct {
			Region   string `json:"region"`
			Password string `json:"smtp_password"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil || v.AccessKeyID == "" {
		t.Fatalf("stored value is not a credential set (%v)", err)
	}
	return v.AccessKeyID
}

func (b *bench) activeKeys(user string) []string {
	b.t.Helper()
	out, err := b.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		b.t.Fatal(err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		if k.Status == types.StatusTypeActive {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
	}
	slices.Sort(ids)
	return ids
}

// TestApplyCreatesThenChangesNothing: a first apply makes both senders and
// delivers their credentials into the stores; a second apply of the same
// file makes no change, and reads the account in one page plus one
// ListAccessKeys per sender.
func TestApplyCreatesThenChangesNothing(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusCreated})
	billing, alerts := b.storedKeys()
	if got := b.activeKeys("billing-mailer"); !slices.Equal(got, []string{billing}) {
		t.Errorf("billing-mailer's active keys %v, stored %s", got, billing)
	}
	if got := b.activeKeys("alerts"); !slices.Equal(got, []string{alerts}) {
		t.Errorf("alerts' active keys %v, stored %s", got, alerts)
	}
	sc, err := scope.Read(context.Background(), b.iam, "billing-mailer")
	if err != nil || !slices.Equal(sc, []string{"billing@example.com"}) {
		t.Errorf("billing-mailer's scope %v (%v)", sc, err)
	}

	b.reset()
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
	calls := map[string]int{}
	for _, c := range b.srv.IAM.Calls() {
		calls[c.Action]++
	}
	// The read budget of a run with nothing to do: the account in pages
	// (one page holds 1,000 users) and each sender's keys.
	want := map[string]int{"GetAccountAuthorizationDetails": 1, "ListAccessKeys": 2}
	if !maps.Equal(calls, want) {
		t.Errorf("second apply: IAM calls %v, budget %v", calls, want)
	}
	if m := b.mutations(); len(m) > 0 {
		t.Errorf("second apply changed %v", m)
	}
}

// TestApplyRotatesWithGrace: a key older than max_key_age is rotated into
// the store and the old one stays active through the grace period; a run
// inside it changes nothing; the run after it retires the old key.
func TestApplyRotatesWithGrace(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	oldBilling, oldAlerts := b.storedKeys()

	b.clock.Advance(91 * 24 * time.Hour)
	rs := b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusRotated, "alerts": apply.StatusRotated})
	newBilling, newAlerts := b.storedKeys()
	if newBilling == oldBilling || newAlerts == oldAlerts || rs["billing-mailer"].NewKeyID != newBilling {
		t.Fatalf("stores hold %s, %s after rotation (were %s, %s; reported %s)", newBilling, newAlerts, oldBilling, oldAlerts, rs["billing-mailer"].NewKeyID)
	}
	if got := b.activeKeys("billing-mailer"); len(got) != 2 {
		t.Fatalf("in the grace period both keys stay active, got %v", got)
	}

	b.clock.Advance(2 * time.Hour)
	b.reset()
	rs = b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
	if rs["alerts"].WaitUntil == nil {
		t.Errorf("inside the grace period the line says until when: %+v", rs["alerts"])
	}
	for n, r := range rs {
		if r.NewKeyID != "" || r.DeliveredTo != "" {
			t.Errorf("%s: a run inside the grace period made and delivered no key, its line says new key %q delivered to %q", n, r.NewKeyID, r.DeliveredTo)
		}
	}
	if m := b.mutations(); len(m) > 0 {
		t.Errorf("a run inside the grace period changed %v", m)
	}
	// It reads what a run with nothing due reads: the rotation record came
	// with the scan, the keys with the plan's ListAccessKeys.
	calls := map[string]int{}
	for _, c := range b.srv.IAM.Calls() {
		calls[c.Action]++
	}
	if want := map[string]int{"GetAccountAuthorizationDetails": 1, "ListAccessKeys": 2}; !maps.Equal(calls, want) {
		t.Errorf("inside the grace period: IAM calls %v, budget %v", calls, want)
	}

	b.clock.Advance(23 * time.Hour)
	rs = b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusRetired, "alerts": apply.StatusRetired})
	if r := rs["billing-mailer"]; r.NewKeyID != "" || r.DeliveredTo != "" || !slices.Equal(r.Retired, []string{oldBilling}) {
		t.Errorf("the retiring run made no key and retired %s, its line says %+v", oldBilling, r)
	}
	if got := b.activeKeys("billing-mailer"); !slices.Equal(got, []string{newBilling}) {
		t.Errorf("after the grace period billing-mailer's active keys are %v, want only %s", got, newBilling)
	}
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
}

// TestApplyRegionsGrew: a region added to the file needs a password derived
// from the secret key, which sesprov never keeps: a new key.
func TestApplyRegionsGrew(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	f.Senders[1].Grace = 0
	b.run(f, apply.Options{})
	_, old := b.storedKeys()
	f.Senders[1].Regions = regions(t, "eu-west-1", "eu-central-1")
	rs := b.run(f, apply.Options{DryRun: true})
	if rs["alerts"].Status != apply.StatusRotated || !strings.Contains(rs["alerts"].Changes[0].Detail, "regions grew: +eu-central-1") {
		t.Fatalf("dry run: %+v", rs["alerts"])
	}
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusRotated})
	_, now := b.storedKeys()
	if now == old || !slices.Equal(b.activeKeys("alerts"), []string{now}) {
		t.Errorf("alerts: stored %s (was %s), active %v", now, old, b.activeKeys("alerts"))
	}
	// Fewer regions need nothing: the delivered secret still holds them.
	f.Senders[1].Regions = regions(t, "eu-west-1")
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
}

// TestApplyScopes: allow_from set, changed and removed follow the file.
func TestApplyScopes(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	f.Senders[1].AllowFrom = addrs(t, "Alerts@Example.com")
	f.Senders[0].AllowFrom = nil
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusScoped, "alerts": apply.StatusScoped})
	ctx := context.Background()
	if sc, _ := scope.Read(ctx, b.iam, "billing-mailer"); len(sc) != 0 {
		t.Errorf("billing-mailer's scope should be gone, is %v", sc)
	}
	if sc, _ := scope.Read(ctx, b.iam, "alerts"); !sameSet(sc, []string{"Alerts@Example.com", "alerts@example.com"}) {
		t.Errorf("alerts' scope %v", sc)
	}
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestApplyUnlistedAndPrune: a user sesprov made that the file drops is
// reported, and deleted only with Prune; an SMTP user sesprov did not make
// is never touched.
func TestApplyUnlistedAndPrune(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	ctx := context.Background()
	// A console-made SMTP user: in the group, no sesprov tag.
	_, err := b.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("console-user")})
	if err == nil {
		_, err = b.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("console-user"), GroupName: aws.String(provision.DefaultGroupName)})
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Senders = f.Senders[:1]
	b.reset()
	rs := b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnlisted})
	if m := b.mutations(); len(m) > 0 {
		t.Errorf("unlisted without prune changed %v", m)
	}
	// alerts still sends (its key was used yesterday): --prune leaves it,
	// in the plan as in the run, unless --force.
	_, alertsKey := b.storedKeys()
	if err := b.srv.IAM.SetKeyLastUsed(alertsKey, b.clock.Now().Add(-24*time.Hour), "ses", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		rs = b.run(f, apply.Options{Prune: true, DryRun: dry})
		wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusConflict})
		if !strings.Contains(rs["alerts"].Error, "it still sends, so --prune leaves it") {
			t.Errorf("dry run %v: %q", dry, rs["alerts"].Error)
		}
	}
	if _, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alerts")}); err != nil {
		t.Fatalf("alerts, still sending, was pruned: %v", err)
	}
	// A week later it has gone quiet: pruned.
	b.clock.Advance(7 * 24 * time.Hour)
	wantStatus(t, b.run(f, apply.Options{Prune: true}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusPruned})
	if _, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alerts")}); err == nil {
		t.Error("alerts was pruned but still exists")
	}
	if _, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("console-user")}); err != nil {
		t.Errorf("console-user, not made by sesprov, must be left alone: %v", err)
	}
}

// TestApplyRefusesAUserThatIsNotAnSMTPUser: a sender whose name is taken by
// a user with another purpose is a conflict; the other senders go on.
func TestApplyRefusesAUserThatIsNotAnSMTPUser(t *testing.T) {
	b := newBench(t)
	ctx := context.Background()
	if _, err := b.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alerts")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alerts")}); err != nil {
		t.Fatal(err)
	}
	before := b.activeKeys("alerts")
	rs := b.run(twoSenders(t), apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusConflict})
	if !strings.Contains(rs["alerts"].Error, "not an SMTP user") {
		t.Errorf("conflict says %q", rs["alerts"].Error)
	}
	if after := b.activeKeys("alerts"); !slices.Equal(before, after) {
		t.Errorf("alerts' keys changed: %v → %v", before, after)
	}
}

// TestApplyDryRunChangesNothing: a dry run of every kind of change reads
// only, and says what a real run would do.
func TestApplyDryRunChangesNothing(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(&apply.File{Senders: append(slices.Clone(f.Senders), apply.Sender{Name: "old", Regions: regions(t, "us-east-1"), DeliverTo: dest(t, "ssm:/mail/{user}"), Path: "/"})}, apply.Options{})
	b.clock.Advance(100 * 24 * time.Hour)
	f.Senders[1].AllowFrom = addrs(t, "a@example.com")
	f.Senders = append(f.Senders, apply.Sender{Name: "new", Regions: regions(t, "us-east-1"), DeliverTo: dest(t, "ssm:/mail/{user}"), Path: "/"})
	b.reset()
	rs := b.run(f, apply.Options{DryRun: true, Prune: true})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusRotated, "alerts": apply.StatusRotated, "new": apply.StatusCreated, "old": apply.StatusPruned})
	if m := b.mutations(); len(m) > 0 {
		t.Errorf("dry run changed %v", m)
	}
	for n, r := range rs {
		if !r.DryRun || len(r.Changes) == 0 {
			t.Errorf("%s: %+v", n, r)
		}
	}
}

// TestApplyTagsAndBoundary: tags and a permissions boundary the file adds
// are set on existing users (status updated); a path that differs is only
// warned about, since moving a user changes its ARN.
func TestApplyTagsAndBoundary(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	f.Senders[0].Tags = []provision.Tag{{Key: "cost-center", Value: "42"}, {Key: "team", Value: "billing"}}
	f.Senders[1].PermissionsBoundary = "arn:aws:iam::aws:policy/AmazonSESFullAccess"
	f.Senders[1].Path = "/mail/"
	var warned []string
	var mu sync.Mutex
	notices := func(n provision.Notice) { mu.Lock(); warned = append(warned, n.Text); mu.Unlock() }
	rs := b.run(f, apply.Options{Notices: notices})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusUpdated, "alerts": apply.StatusUpdated})
	ctx := context.Background()
	u, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alerts")})
	if err != nil || u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != f.Senders[1].PermissionsBoundary {
		t.Errorf("alerts' boundary: %+v %v", u, err)
	}
	if aws.ToString(u.User.Path) != "/" {
		t.Errorf("alerts was moved to %s", aws.ToString(u.User.Path))
	}
	tags, err := b.iam.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("billing-mailer")})
	if err != nil || !slices.ContainsFunc(tags.Tags, func(t types.Tag) bool { return aws.ToString(t.Key) == "cost-center" && aws.ToString(t.Value) == "42" }) {
		t.Errorf("billing-mailer's tags %+v %v", tags, err)
	}
	if !slices.ContainsFunc(warned, func(s string) bool { return strings.Contains(s, "apply does not move users") }) {
		t.Errorf("no warning about the path: %q", warned)
	}
	f.Senders[1].Path = "/"
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
}

// TestApplyDestinationThatCannotTakeCredentials: a sender whose file
// destination already exists fails before anything about it changes; the
// other senders are applied; a dry run says the same.
func TestApplyDestinationThatCannotTakeCredentials(t *testing.T) {
	b := newBench(t)
	dir := t.TempDir()
	f := twoSenders(t)
	f.Senders[1].DeliverTo = dest(t, "file:"+dir+"/{user}.json")
	if err := os.WriteFile(dir+"/alerts.json", []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs := b.run(f, apply.Options{DryRun: true})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusFailed})
	if !strings.Contains(rs["alerts"].Error, "deliver_to "+dir+"/alerts.json already exists") {
		t.Errorf("dry run: %q", rs["alerts"].Error)
	}
	rs = b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusFailed})
	if _, err := b.iam.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("alerts")}); err == nil {
		t.Error("alerts was made although its credentials had nowhere to go")
	}
}

// TestApplyWaitsOutEventualConsistency: right after CreateUser, IAM may not
// see the new user (NoSuchEntity); apply waits it out rather than failing
// the sender.
func TestApplyWaitsOutEventualConsistency(t *testing.T) {
	// The fakes on the real clock: the delay runs out as time passes.
	srv, cfg := iamfaketest.StartAll(t)
	b := &bench{t: t, srv: srv, cfg: cfg, iam: iam.NewFromConfig(cfg), clock: &clock{now: time.Now()}}
	b.srv.IAM.SetConsistencyDelay(600 * time.Millisecond)
	wantStatus(t, b.run(twoSenders(t), apply.Options{}), map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusCreated})
	billing, alerts := b.storedKeys()
	time.Sleep(700 * time.Millisecond) // until the keys are seen by reads
	if !slices.Equal(b.activeKeys("billing-mailer"), []string{billing}) || !slices.Equal(b.activeKeys("alerts"), []string{alerts}) {
		t.Errorf("active keys %v %v, stored %s %s", b.activeKeys("billing-mailer"), b.activeKeys("alerts"), billing, alerts)
	}
}

// TestApplyScopesBeforeJoiningTheGroup: a sender outside the sending group
// (it cannot send) that the file scopes is scoped first and joins the group
// after; when the scope cannot be written, it stays out of the group rather
// than sending unscoped.
func TestApplyScopesBeforeJoiningTheGroup(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	ctx := context.Background()
	if _, err := b.iam.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alerts"), GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
		t.Fatal(err)
	}
	f.Senders[1].AllowFrom = addrs(t, "alerts@example.com")
	b.srv.IAM.Inject(iamfake.Fault{Action: "PutUserPolicy", Code: "LimitExceeded"})
	rs := b.run(f, apply.Options{})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusFailed})
	inGroup := func() bool {
		out, err := b.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alerts")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Groups) > 0
	}
	if inGroup() {
		t.Fatal("alerts joined the sending group although its scope was not written: it may send as anyone")
	}
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusScoped})
	if sc, _ := scope.Read(ctx, b.iam, "alerts"); !slices.Equal(sc, []string{"alerts@example.com"}) || !inGroup() {
		t.Errorf("after the second run: scope %v, in group %v", sc, inGroup())
	}
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
}

// TestApplyInUseConflictAndPendingRegions: a superseded key still used late
// in its grace period is a conflict in the plan as in the run (and --force
// retires it); regions added while a rotation waits out its grace are shown
// as pending and rotated once it is finished.
func TestApplyInUseConflictAndPendingRegions(t *testing.T) {
	b := newBench(t)
	f := twoSenders(t)
	b.run(f, apply.Options{})
	oldBilling, _ := b.storedKeys()
	b.clock.Advance(91 * 24 * time.Hour)
	wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusRotated, "alerts": apply.StatusRotated})

	// Inside the grace period: a region added to alerts is pending.
	b.clock.Advance(time.Hour)
	f.Senders[1].Regions = regions(t, "eu-west-1", "eu-central-1")
	rs := b.run(f, apply.Options{DryRun: true})
	if r := rs["alerts"]; r.Status != apply.StatusUnchanged || len(r.Changes) != 1 || !strings.Contains(r.Changes[0].Detail, "pending: regions grew: +eu-central-1") {
		t.Fatalf("alerts in its grace period: %+v", r)
	}

	// After it: billing-mailer's old key was used 2 hours ago, late in the
	// grace period: a conflict, in the dry run as in the run.
	b.clock.Advance(24 * time.Hour)
	if err := b.srv.IAM.SetKeyLastUsed(oldBilling, b.clock.Now().Add(-2*time.Hour), "ses", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		rs = b.run(f, apply.Options{DryRun: dry})
		wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusConflict, "alerts": apply.StatusRetired})
		if !strings.Contains(rs["billing-mailer"].Error, "was used at") || strings.Contains(rs["billing-mailer"].Error, "run rotate again") {
			t.Errorf("dry run %v: %q", dry, rs["billing-mailer"].Error)
		}
	}
	if !slices.Contains(b.activeKeys("billing-mailer"), oldBilling) {
		t.Fatal("the key still in use was retired")
	}
	// The pending region is rotated now that alerts' rotation is finished.
	wantStatus(t, b.run(f, apply.Options{Force: true}), map[string]string{"billing-mailer": apply.StatusRetired, "alerts": apply.StatusRotated})
	if slices.Contains(b.activeKeys("billing-mailer"), oldBilling) {
		t.Error("--force did not retire the key")
	}
}

// TestApplySaysWhenADestinationHoldsSomethingElse: a new sender whose secret
// or parameter already exists, and was not written by sesprov, is delivered
// to (teams make secrets first for sesprov to fill), but the plan and the
// run say that its value will be replaced.
func TestApplySaysWhenADestinationHoldsSomethingElse(t *testing.T) {
	b := newBench(t)
	ctx := context.Background()
	if _, err := secretsmanager.NewFromConfig(b.cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("ses/billing-mailer"), SecretString: aws.String(`{"db_password":"not-ours"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(b.cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/mail/alerts"), Value: aws.String("not-ours"), Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
	f := twoSenders(t)
	rs := b.run(f, apply.Options{DryRun: true})
	for name, want := range map[string]string{"billing-mailer": "secret ses/billing-mailer exists and sesprov did not write its current value", "alerts": "parameter /mail/alerts exists and was not written by sesprov"} {
		if !slices.ContainsFunc(rs[name].Changes, func(c apply.Change) bool { return strings.Contains(c.Detail, want) }) {
			t.Errorf("%s's plan does not say %q: %+v", name, want, rs[name].Changes)
		}
	}
	var warned []string
	var mu sync.Mutex
	rs = b.run(f, apply.Options{Notices: func(n provision.Notice) { mu.Lock(); warned = append(warned, n.Text); mu.Unlock() }})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusCreated})
	if len(warned) != 2 {
		t.Errorf("warnings %q", warned)
	}
	b.storedKeys() // both now hold the senders' credentials
	// Senders made again into destinations sesprov wrote (their users
	// deleted, the secret and parameter left): nothing is said.
	for _, name := range []string{"billing-mailer", "alerts"} {
		if _, err := deleteuser.Run(ctx, deleteuser.Options{UserName: name}, b.iam); err != nil {
			t.Fatal(err)
		}
	}
	rs = b.run(f, apply.Options{DryRun: true})
	wantStatus(t, rs, map[string]string{"billing-mailer": apply.StatusCreated, "alerts": apply.StatusCreated})
	for name, r := range rs {
		if len(r.Changes) != 1 {
			t.Errorf("%s's plan: %+v", name, r.Changes)
		}
	}
}
