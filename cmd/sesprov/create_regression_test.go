package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// Every call of a fresh create-user with its response lost (the
// action done, the connection dropped) and with "done, then told it failed"
// (After 500/AccessDenied). Each run must either succeed with exactly one key
// (the printed one) or fail leaving no key; a re-run must then converge.
func TestLostResponseMatrix(t *testing.T) {
	shortRetryBackoff(t)
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
				keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "alice")
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

// The account's AmazonSesSendingAccess policy does not allow
// ses:SendRawEmail: create-user stops with exit 3 before any key (the user
// goes first and is left key-less), and the warning's advice — the same
// command with --repair-policy — then finishes. (Found in review: exit 0
// with credentials that cannot send.)
func TestNonSendingPolicyStopsBeforeKey(t *testing.T) {
	f := startFake(t)
	_, err := f.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName:     aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:GetSendQuota","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.create("alice")
	keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "alice")
	if r.code != 3 || len(keys) != 0 || !strings.Contains(r.stderr, "--repair-policy") {
		t.Errorf("exit %d, keys %v: want exit 3 and no key for a group that cannot send\nstderr: %s", r.code, keys, r.stderr)
	}
	r2 := f.create("alice", "--repair-policy")
	f.checkDone(r2, "alice")
}

// Two operators run create-user without --user-name in the same second (the
// default name has one-second resolution): the second run's CreateUser meets
// EntityAlreadyExists and takes another name; it never adopts the other
// run's user. (Found in review: both runs shared one user.)
func TestDefaultNameCollisionTakesAnotherName(t *testing.T) {
	bin := sesprovBinary(t) // two processes: urfave/cli's flag parsing is not safe in parallel in one
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
			var out, errb bytes.Buffer
			cmd := exec.Command(bin, "--endpoint-url", f.url, "-o", "json", "create-user", "--regions", "us-east-1")
			cmd.Stdout, cmd.Stderr = &out, &errb
			cmd.Run()
			res[i] = result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
		}()
	}
	wg.Wait()
	var c [2]credJSON
	for i := range res {
		json.Unmarshal([]byte(res[i].stdout), &c[i])
		t.Logf("run %d: exit %d user %q key %s", i, res[i].code, c[i].UserName, c[i].AccessKeyID)
	}
	if res[0].code != 0 || res[1].code != 0 || c[0].UserName == c[1].UserName {
		t.Errorf("want both runs done with a user each: exits %d %d, users %s %s (keys %s, %s)", res[0].code, res[1].code, c[0].UserName, c[1].UserName, c[0].AccessKeyID, c[1].AccessKeyID)
	}
	time.Sleep(1200 * time.Millisecond) // the consistency delay: the keys show
	for i := range c {
		if keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, c[i].UserName); len(keys) != 1 || keys[0] != c[i].AccessKeyID {
			t.Errorf("user %s has keys %v, want only %s", c[i].UserName, keys, c[i].AccessKeyID)
		}
	}
}
