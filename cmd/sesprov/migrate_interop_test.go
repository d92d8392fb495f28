package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/migrate"
)

// faultProxy sits in front of moto_server (which cannot inject faults): it
// logs every IAM call, and refuses the nth call of one action with
// AccessDenied without forwarding it.
type faultProxy struct {
	next http.Handler

	mu     sync.Mutex
	calls  []proxyCall
	action string
	nth    int
	seen   int
}

type proxyCall struct {
	action, user string
	refused      bool
	status       int
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	c := proxyCall{action: form.Get("Action"), user: form.Get("UserName")}
	p.mu.Lock()
	if c.action == p.action {
		p.seen++
		c.refused = p.seen == p.nth
	}
	p.mu.Unlock()
	if c.refused {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>refused by the test proxy</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`)
		c.status = http.StatusForbidden
	} else {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		p.next.ServeHTTP(rec, r)
		c.status = rec.status
	}
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (p *faultProxy) reset(action string, nth int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.action, p.nth, p.seen = nil, action, nth, 0
}

func (p *faultProxy) log() []proxyCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// motoLab is moto_server behind a faultProxy, and an SDK client talking to
// moto directly (its calls are not in the proxy's log).
type motoLab struct {
	t        *testing.T
	moto     string
	proxyURL string
	proxy    *faultProxy
	api      *iam.Client
	ctx      context.Context
}

func newMotoLab(t *testing.T) *motoLab {
	moto := startMoto(t)
	isolateAWSEnv(t)
	target, _ := url.Parse(moto)
	p := &faultProxy{next: httputil.NewSingleHostReverseProxy(target)}
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	return &motoLab{t: t, moto: moto, proxyURL: hs.URL, proxy: p, api: iam.NewFromConfig(iamfaketest.Config(moto)), ctx: context.Background()}
}

// fresh empties moto's account and makes the legacy user alice.
func (m *motoLab) fresh() {
	m.t.Helper()
	resp, err := http.Post(m.moto+"/moto-api/reset", "application/json", nil)
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Body.Close()
	_, err = m.api.CreateUser(m.ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Tags: []iamtypes.Tag{
		{Key: aws.String(provision.TagConsoleKey), Value: aws.String(provision.TagConsoleValue)},
		{Key: aws.String("team"), Value: aws.String("mail")},
	}})
	if err != nil {
		m.t.Fatal(err)
	}
	_, err = m.api.PutUserPolicy(m.ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(provision.DefaultPolicyName), PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	if err != nil {
		m.t.Fatal(err)
	}
}

// canSend reads alice's access from moto: the inline policy, or membership
// of the group and the group's grant.
func (m *motoLab) canSend(user string) (inline, member, grant bool) {
	m.t.Helper()
	name, err := iamapi.FindUserInlinePolicy(m.ctx, m.api, user, provision.DefaultPolicyName)
	if err != nil {
		m.t.Fatal(err)
	}
	if name != "" {
		out, err := m.api.GetUserPolicy(m.ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name)})
		if err != nil {
			m.t.Fatal(err)
		}
		inline = policy.GrantsSend(aws.ToString(out.PolicyDocument))
	}
	member, err = iamapi.UserInGroup(m.ctx, m.api, user, provision.DefaultGroupName)
	if err != nil {
		m.t.Fatal(err)
	}
	if member {
		_, grant, err = migrate.GroupGrantsSend(m.ctx, m.api, provision.DefaultGroupName, provision.DefaultPolicyName)
		if err != nil {
			m.t.Fatal(err)
		}
	}
	return inline, member, grant
}

func (m *motoLab) migrate(args ...string) result {
	m.t.Helper()
	return runMain(m.t, nil, append([]string{"--endpoint-url", m.proxyURL, "migrate"}, args...)...)
}

// checkOrder: no DeleteUserPolicy before a successful AddUserToGroup (or a
// membership there at the start: member) and a successful ListGroupsForUser
// after it.
func checkOrder(t *testing.T, calls []proxyCall, member bool) {
	t.Helper()
	added, seen := member, false
	for i, c := range calls {
		ok := !c.refused && c.status < 300
		switch c.action {
		case "AddUserToGroup":
			added = added || ok
		case "ListGroupsForUser":
			seen = seen || (ok && added)
		case "DeleteUserPolicy":
			if !seen {
				t.Errorf("call %d: DeleteUserPolicy before the membership was added and seen", i)
			}
		}
	}
}

// TestInteropMigrateMoto: migrate against moto_server with each of its calls
// refused in turn; after each failure alice can still send, no inline
// policy was deleted before the membership was seen, and the re-run ends
// with alice in the group, no inline policy, and only her own tag.
func TestInteropMigrateMoto(t *testing.T) {
	m := newMotoLab(t)

	m.fresh()
	m.proxy.reset("", 0)
	if r := m.migrate("--all", "--dry-run"); r.code != 0 || !strings.Contains(r.stdout, "alice: would migrate") {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range m.proxy.log() {
		if !strings.HasPrefix(c.action, "Get") && !strings.HasPrefix(c.action, "List") {
			t.Errorf("dry run made %s", c.action)
		}
	}

	m.proxy.reset("", 0)
	if r := m.migrate("--user-name", "alice"); r.code != 0 {
		t.Fatalf("reference run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ref := m.proxy.log()
	checkOrder(t, ref, false)
	m.checkMigrated()

	for k, c := range ref {
		nth := 0
		for _, p := range ref[:k+1] {
			if p.action == c.action {
				nth++
			}
		}
		t.Run(fmt.Sprintf("%d-%s", k+1, c.action), func(t *testing.T) {
			m.t = t
			m.fresh()
			m.proxy.reset(c.action, nth)
			r := m.migrate("--user-name", "alice")
			if r.code != 1 || !strings.Contains(r.stdout+r.stderr, c.action) {
				t.Errorf("exit %d, want 1 naming %s\n%s%s", r.code, c.action, r.stdout, r.stderr)
			}
			checkOrder(t, m.proxy.log(), false)
			inline, member, grant := m.canSend("alice")
			if !inline && !(member && grant) {
				t.Fatalf("alice cannot send: inline %v, member %v, group grant %v", inline, member, grant)
			}
			m.proxy.reset("", 0)
			if r := m.migrate("--user-name", "alice"); r.code != 0 {
				t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			checkOrder(t, m.proxy.log(), member)
			m.checkMigrated()
		})
	}
}

func (m *motoLab) checkMigrated() {
	m.t.Helper()
	inline, member, grant := m.canSend("alice")
	if inline || !member || !grant {
		m.t.Errorf("alice: inline %v, member %v, group grant %v", inline, member, grant)
	}
	tags, err := iamapi.ListAllUserTags(m.ctx, m.api, "alice")
	if err != nil {
		m.t.Fatal(err)
	}
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
		m.t.Errorf("tags %v", tags)
	}
}
