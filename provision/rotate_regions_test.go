package provision_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/rotate"
)

// rotateIn rotates user with regions (none: the recorded ones) and returns
// the regions delivered and the notices sent.
func rotateIn(t *testing.T, l *lab, user string, regions []string) ([]string, []provision.Notice, error) {
	t.Helper()
	var rs []derive.Region
	if len(regions) > 0 {
		var err error
		if rs, err = derive.ResolveRegions(regions, nil); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		notices []provision.Notice
		got     []string
	)
	opts := rotate.Options{UserName: user, Regions: rs, Now: laterThanLastRun,
		Notices: func(n provision.Notice) { mu.Lock(); notices = append(notices, n); mu.Unlock() }}
	ctx := context.Background()
	p, err := rotate.Plan(ctx, l.iam, opts)
	if err != nil {
		return nil, notices, err
	}
	c := &consumer{t: t}
	_, err = p.Execute(ctx, l.iam, func(ctx context.Context, set creds.CredentialSet) error {
		for _, rc := range set.Credentials {
			got = append(got, rc.Region)
		}
		return c.deliver(ctx, set)
	}, nil)
	return got, notices, err
}

// rotate records the regions with the delivery (no extra call), uses them
// when none are given, and warns when the given ones leave one out.
func TestRotateRemembersRegions(t *testing.T) {
	l := newLab(t)
	l.smtpUser("mailer", 1)

	l.srv.ResetCalls()
	got, _, err := rotateIn(t, l, "mailer", []string{"us-east-1", "eu-west-1"})
	l.must(err)
	if tags := mutations(l.srv.Calls()); strings.Count(strings.Join(tags, " "), "TagUser") != 2 {
		t.Errorf("mutating calls %v: want the two TagUser calls of a rotation, the regions in the second", tags)
	}
	if v := l.tags("mailer")[provision.RegionsTagKey]; v != "us-east-1 eu-west-1" {
		t.Fatalf("tag %s = %q after rotating for two regions", provision.RegionsTagKey, v)
	}

	got, notices, err := rotateIn(t, l, "mailer", nil)
	l.must(err)
	if strings.Join(got, ",") != "us-east-1,eu-west-1" || len(notices) != 0 {
		t.Fatalf("rotate without regions delivered %v (notices %v), want the recorded us-east-1,eu-west-1", got, notices)
	}

	got, notices, err = rotateIn(t, l, "mailer", []string{"us-east-1"})
	l.must(err)
	if strings.Join(got, ",") != "us-east-1" {
		t.Fatalf("delivered %v, want us-east-1", got)
	}
	if len(notices) != 1 || notices[0].Level != provision.NoticeWarning || !strings.Contains(notices[0].Text, "leaves out eu-west-1") {
		t.Fatalf("notices %+v, want one warning that eu-west-1 is left out", notices)
	}
	if v := l.tags("mailer")[provision.RegionsTagKey]; v != "us-east-1" {
		t.Fatalf("tag %s = %q, want the regions of the last rotation", provision.RegionsTagKey, v)
	}
}

// No region given and none recorded: bad input, nothing changed.
func TestRotateWithoutRegionsNeedsARecord(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("mailer", 1)[0]
	l.srv.ResetCalls()
	_, _, err := rotateIn(t, l, "mailer", nil)
	if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "no region given") {
		t.Fatalf("err %v (exit %d), want a usage error naming the missing regions", err, fail.ExitCode(err))
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 || len(l.keys("mailer")) != 1 || l.keys("mailer")[old] == "" {
		t.Fatalf("mutations %v, keys %v: want nothing changed", m, l.keys("mailer"))
	}
}

func TestRegionsTag(t *testing.T) {
	rs, err := derive.ResolveRegions([]string{"us-east-1", "eu-west-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tag, ok := provision.RegionsTag(rs)
	if !ok || provision.ValidateTag(provision.Tag{Key: *tag.Key, Value: *tag.Value}) != nil {
		t.Fatalf("RegionsTag = %v, %v: want a tag IAM accepts", tag, ok)
	}
	if got := provision.ParseRegionsTag([]types.Tag{tag}); strings.Join(got, ",") != "us-east-1,eu-west-1" {
		t.Fatalf("ParseRegionsTag = %v", got)
	}
	if _, ok := provision.RegionsTag(nil); ok {
		t.Fatal("RegionsTag(nil) records nothing")
	}
}
