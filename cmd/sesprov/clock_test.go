package main

import (
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sesprov/sesprov/provision/list"
)

// scriptClock is the script's iamfake's clock: real time moved by an
// offset, so a script can make keys that are old (iamfake-clock -100d,
// create, iamfake-clock 0) while sesprov reads its own clock.
type scriptClock struct{ offset atomic.Int64 }

func (c *scriptClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

type scriptClockKey struct{}

// cmdIAMFakeClock runs `iamfake-clock OFFSET`: the script's iamfake's clock
// reads real time plus OFFSET (-100d, -2h, 0) from now on.
func cmdIAMFakeClock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: iamfake-clock OFFSET")
	}
	s, sign := args[0], time.Duration(1)
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	d, err := list.ParseMaxAge(s)
	if err != nil {
		ts.Fatalf("iamfake-clock: %v", err)
	}
	ts.Value(scriptClockKey{}).(*scriptClock).offset.Store(int64(sign * d))
}

// cmdIAMFakeKeyVar runs `iamfake-key-var USER VAR`: sets $VAR to the
// access key id of USER's newest key, so a script can write a rotation
// record naming it.
func cmdIAMFakeKeyVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: iamfake-key-var USER VAR")
	}
	form := url.Values{"Action": {"ListAccessKeys"}, "Version": {"2010-05-08"}, "UserName": {args[0]}}
	req := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	scriptFake(ts).ServeHTTP(rec, req)
	var out struct {
		Keys []struct {
			ID      string    `xml:"AccessKeyId"`
			Created time.Time `xml:"CreateDate"`
		} `xml:"ListAccessKeysResult>AccessKeyMetadata>member"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Keys) == 0 {
		ts.Fatalf("iamfake-key-var: no key of %s: %v %s", args[0], err, rec.Body.String())
	}
	newest := out.Keys[0]
	for _, k := range out.Keys[1:] {
		if k.Created.After(newest.Created) {
			newest = k
		}
	}
	ts.Setenv(args[1], newest.ID)
}
