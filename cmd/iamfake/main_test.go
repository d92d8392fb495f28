package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// start runs the command in process and returns its URL and a stop function
// that ends it as SIGTERM would and returns the exit code.
func start(t *testing.T, args ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no first line: %v (stderr %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "iamfake listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	return url, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(5 * time.Second):
			t.Fatal("iamfake did not stop")
			return -1
		}
	}
}

func TestServeAndPersist(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "iam.json")
	url, stop := start(t, "--listen", "127.0.0.1:0", "--state", state, "--account-id", "111122223333")
	c := iam.NewFromConfig(iamfaketest.Config(url))
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("survivor")}); err != nil {
		t.Fatal(err)
	}
	// Saved after the mutating call, before any shutdown.
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	url, stop = start(t, "--listen", "127.0.0.1:0", "--state", state, "--account-id", "111122223333")
	defer stop()
	cfg := iamfaketest.Config(url)
	u, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("survivor")})
	if err != nil {
		t.Fatalf("user lost across restart: %v", err)
	}
	if aws.ToString(u.User.Arn) != "arn:aws:iam::111122223333:user/survivor" {
		t.Errorf("arn %s", aws.ToString(u.User.Arn))
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111122223333" {
		t.Errorf("identity %v %v", id, err)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--account-id", "12"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "12 digits") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"--nope"}, &out, &errb); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q", out.String())
	}
}
