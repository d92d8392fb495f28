// Package awsjson holds what the JSON-speaking fakes beside iamfake
// (Secrets Manager, SSM, SES v2) share: error answers, timestamps as the
// SDK decodes them, the caller's region from SigV4, opaque page tokens and
// atomic state files.
package awsjson

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultRegion is the region of a request whose Authorization header
// names none (unsigned requests, hand-written curl).
const DefaultRegion = "us-east-1"

// ContentType11 is the JSON 1.1 protocol's content type (Secrets Manager, SSM).
const ContentType11 = "application/x-amz-json-1.1"

// Error is an error answer. Code goes on the wire as the `__type` (JSON
// 1.1) or the x-amzn-ErrorType header (REST-JSON), which the SDK maps to
// its typed errors.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf is an error answer with HTTP status 400 unless status says otherwise.
func Errorf(status int, code, format string, args ...any) *Error {
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Region is the region in the request's SigV4 credential scope
// (Credential=KEY/DATE/REGION/SERVICE/aws4_request), DefaultRegion if none.
func Region(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return DefaultRegion
	}
	if i := strings.IndexAny(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 || parts[2] == "" {
		return DefaultRegion
	}
	return parts[2]
}

// RequestID is a fresh x-amzn-RequestId in AWS's UUID form.
func RequestID() string { return UUID() }

// UUID is a random version-4 UUID (what the SDK generates for idempotency
// tokens, and what AWS uses as version IDs).
func UUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RandomString is n characters from alphabet.
func RandomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Time marshals as JSON epoch seconds with milliseconds, the timestamp
// format of both JSON protocols.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// TimePtr is a *Time for an optional member, nil for the zero time.
func TimePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	tt := Time(t)
	return &tt
}

// WriteJSON11 answers a JSON 1.1 call: v on success, else e with its code
// in `__type` and its text under msgKey (Secrets Manager says "Message",
// SSM "message"; the SDK reads either).
func WriteJSON11(w http.ResponseWriter, v any, e *Error, msgKey string) {
	h := w.Header()
	h.Set("Content-Type", ContentType11)
	h.Set("x-amzn-RequestId", RequestID())
	if e != nil {
		b, _ := json.Marshal(map[string]string{"__type": e.Code, msgKey: e.Message})
		w.WriteHeader(e.Status)
		w.Write(b)
		return
	}
	writeBody(w, v)
}

// WriteREST answers a REST-JSON call: v on success, else e with its code in
// the x-amzn-ErrorType header and {"message": ...} as the body.
func WriteREST(w http.ResponseWriter, v any, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", RequestID())
	if e != nil {
		h.Set("x-amzn-ErrorType", e.Code)
		b, _ := json.Marshal(map[string]string{"message": e.Message})
		w.WriteHeader(e.Status)
		w.Write(b)
		return
	}
	writeBody(w, v)
}

func writeBody(w http.ResponseWriter, v any) {
	if v == nil {
		v = struct{}{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// PageToken makes an opaque NextToken from the key a page resumes at;
// ParseToken reads it back (ok false for a token this fake did not make).
func PageToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p1:" + key))
}

func ParseToken(tok string) (key string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), "p1:")
}
