package createuser_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/createuser"
)

// pipeClosedAfter takes n writes, then answers EPIPE, as a pipe whose
// reader exited does (`| head -3`).
type pipeClosedAfter struct {
	mu sync.Mutex
	n  int
	b  bytes.Buffer
}

func (p *pipeClosedAfter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return 0, syscall.EPIPE
	}
	p.n--
	return p.b.Write(b)
}

// A batch whose stdout reader goes away stops there: the users after it are
// not started, and none keeps a key whose credentials went nowhere.
func TestBatchStopsAtBrokenPipe(t *testing.T) {
	e := newBatchEnv(t)
	names := userNames("pipe", 40)
	stdout := &pipeClosedAfter{n: 3}
	var stderr bytes.Buffer
	err := runCLI(e.ctx, createuser.Options{
		UserNames: names, Batch: true, Concurrency: 2, Regions: benchRegions(t)[:1], Format: output.FormatJSON,
	}, createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim}, stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("err %v\n%s", err, stderr.String())
	}
	if n := e.srv.CallCount("CreateUser"); n >= len(names)/2 {
		t.Errorf("CreateUser called %d times: the batch went on after the reader left", n)
	}
	delivered := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.b.String()), "\n") {
		var b batchLine
		if json.Unmarshal([]byte(l), &b) == nil && b.AccessKeyID != "" {
			delivered[b.UserName] = b.AccessKeyID
		}
	}
	if len(delivered) != 3 {
		t.Errorf("%d users delivered, want 3", len(delivered))
	}
	for _, n := range names {
		keys, lerr := e.iam.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String(n)})
		if iamapi.ErrorCode(lerr) == "NoSuchEntity" {
			continue
		}
		if lerr != nil {
			t.Fatal(lerr)
		}
		for _, k := range keys.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) != delivered[n] {
				t.Errorf("%s keeps key %s, never delivered", n, aws.ToString(k.AccessKeyId))
			}
		}
	}
}
