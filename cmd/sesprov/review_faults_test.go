package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/provision"
)

// Review: every call of a fresh create-user with its response lost (the
// action done, the connection dropped) and with "done, then told it failed"
// (After 500/AccessDenied). Each run must either succeed with exactly one key
// (the printed one) or fail leaving no key; a re-run must then converge.
func TestReviewLostResponseMatrix(t *testing.T) {
	for _, action := range freshAccountActions {
		for _, mode := range []string{"drop", "after-ServiceFailure"} {
			t.Run(action+"/"+mode, func(t *testing.T) {
				f := startFake(t)
				fl := iamfake.Fault{Action: action}
				switch mode {
				case "drop":
					fl.DropResponse = true
				case "after-ServiceFailure":
					fl.Code, fl.After = "ServiceFailure", true
				}
				f.srv.Inject(fl)
				r := f.create("alice")
				if r.code == 0 {
					f.checkDone(r, "alice")
					return
				}
				keys, _ := provision.ListAccessKeyIDs(context.Background(), f.iam, "alice")
				if len(keys) != 0 {
					t.Errorf("exit %d and key(s) %v left whose secret went nowhere\nstderr: %s", r.code, keys, r.stderr)
				}
				if strings.Contains(r.stdout, "smtp_password") {
					t.Errorf("exit %d but credentials printed", r.code)
				}
				r2 := f.create("alice")
				f.checkDone(r2, "alice")
			})
		}
	}
}

// Review: the account's AmazonSesSendingAccess policy does not allow
// ses:SendRawEmail. create-user warns, then makes the user and its key and
// exits 0: credentials that cannot send. The warning's advice (run again
// with --repair-policy) then meets exit 3 (the user has a key).
func TestReviewNonSendingPolicyStillExitsZero(t *testing.T) {
	f := startFake(t)
	_, err := f.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName:     aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:GetSendQuota","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.create("alice")
	keys, _ := provision.ListAccessKeyIDs(context.Background(), f.iam, "alice")
	if r.code == 0 || len(keys) != 0 {
		t.Errorf("exit %d, keys %v: credentials delivered for a group that cannot send\nstderr: %s", r.code, keys, r.stderr)
	}
}

// Review: two operators run create-user without --user-name in the same
// second (the default name has one-second resolution). The second run's
// CreateUser meets EntityAlreadyExists, finds a sesprov user with no key
// visible yet, and "completes" it: both runs exit 0 with separate keys of
// one shared IAM user, each believing it made its own.
func TestReviewDefaultNameCollision(t *testing.T) {
	f := startFake(t)
	f.checkDone(f.create("warmup"), "warmup") // group and policy exist
	f.srv.SetLatency(100 * time.Millisecond)
	f.srv.SetConsistencyDelay(time.Second)
	// start both at the beginning of a second
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = f.sesprov("-o", "json", "create-user", "--regions", "us-east-1")
		}()
	}
	wg.Wait()
	var c [2]credJSON
	for i := range res {
		json.Unmarshal([]byte(res[i].stdout), &c[i])
		t.Logf("run %d: exit %d user %q key %s", i, res[i].code, c[i].UserName, c[i].AccessKeyID)
	}
	if res[0].code == 0 && res[1].code == 0 && c[0].UserName == c[1].UserName {
		t.Errorf("two runs both succeeded on one shared user %s (keys %s, %s)", c[0].UserName, c[0].AccessKeyID, c[1].AccessKeyID)
	}
}
