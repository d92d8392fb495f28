package iamapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
)

// Interrupted while CreateAccessKey gets no answer at all (within its grace
// period): when IAM made a key it is found in the list and deleted; when no
// key shows, the run says plainly that one may exist (exit 3), never "safe to
// repeat".
func TestCreateAccessKeyInterruptedWithoutAnswer(t *testing.T) {
	defer func(g, w time.Duration) { createKeyGrace, interruptedKeyWatch = g, w }(createKeyGrace, interruptedKeyWatch)
	createKeyGrace, interruptedKeyWatch = 200*time.Millisecond, 300*time.Millisecond
	for _, acts := range []bool{true, false} {
		srv := iamfake.New(iamfake.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if strings.Contains(string(body), "Action=CreateAccessKey") {
				if acts {
					srv.ServeHTTP(httptest.NewRecorder(), r)
				}
				cancel()             // Ctrl-C
				<-r.Context().Done() // and no answer
				return
			}
			srv.ServeHTTP(w, r)
		}))
		api := iam.NewFromConfig(iamfaketest.Config(hs.URL))
		if _, err := api.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("u")}); err != nil {
			t.Fatal(err)
		}
		_, _, err := CreateAccessKeyAfter(ctx, api, "u", nil)
		keys, _ := ListAccessKeyIDs(context.Background(), api, "u")
		switch {
		case len(keys) != 0:
			t.Errorf("acts=%v: key %v left", acts, keys)
		case acts && (fail.KindOf(err) != fail.KindFailed || !strings.Contains(err.Error(), "was deleted")):
			t.Errorf("acts=%v: %v (kind %v), want the deletion reported", acts, err, fail.KindOf(err))
		case !acts && (fail.KindOf(err) != fail.KindConflict || !strings.Contains(err.Error(), "a key may still exist")):
			t.Errorf("acts=%v: %v (kind %v), want a conflict saying a key may exist", acts, err, fail.KindOf(err))
		}
		hs.Close()
		cancel()
	}
}
