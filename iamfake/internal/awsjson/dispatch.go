package awsjson

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Op adapts a handler of a typed input to one of the raw JSON body: the
// table of a service's operations then holds one shape of function.
func Op[C, In any](f func(c C, in *In) (any, *Error)) func(C, []byte) (any, *Error) {
	return func(c C, body []byte) (any, *Error) {
		in := new(In)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, Errorf(400, "SerializationException", "could not parse the request: %v", err)
			}
		}
		return f(c, in)
	}
}

// Target is the operation named by a JSON 1.1 request's X-Amz-Target
// header ("secretsmanager.CreateSecret" with prefix "secretsmanager.").
func Target(r *http.Request, prefix string) (string, bool) {
	return strings.CutPrefix(r.Header.Get("X-Amz-Target"), prefix)
}

// Fault makes the next call of Op fail: answer Code (with Status, default
// 400) without acting, or, with DropResponse, act and then close the
// connection unanswered (the lost response the SDK retries).
type Fault struct {
	Op           string
	Code         string
	Message      string
	Status       int
	DropResponse bool
}

// Faults are the faults injected and not yet fired, and a count of calls
// per operation. The zero value is ready.
type Faults struct {
	mu     sync.Mutex
	queue  []Fault
	counts map[string]int
}

// Inject adds a fault that fires once, on the next call of f.Op.
func (fs *Faults) Inject(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.queue = append(fs.queue, f)
}

// Next counts a call of op and takes the first fault waiting for it.
func (fs *Faults) Next(op string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.counts == nil {
		fs.counts = map[string]int{}
	}
	fs.counts[op]++
	for i, f := range fs.queue {
		if f.Op == op {
			fs.queue = append(fs.queue[:i], fs.queue[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// CallCount is the number of calls of op so far ("" counts all).
func (fs *Faults) CallCount(op string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if op != "" {
		return fs.counts[op]
	}
	n := 0
	for _, c := range fs.counts {
		n += c
	}
	return n
}

// Err is the answer of a fault that does not drop the response.
func (f Fault) Err() *Error {
	code := f.Code
	if code == "" {
		code = "InternalFailure"
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault"
	}
	return Errorf(f.Status, code, "%s", msg)
}

// Drop closes the client's connection with no answer.
func Drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Serve answers one JSON 1.1 call: the operation X-Amz-Target names after
// prefix, unknown ones refused; a fault injected for it fires (before the
// call acts, or after, dropping the answer); else run's answer is written,
// an error's text under messageField ("Message" or "message", as the
// service spells it).
func Serve(w http.ResponseWriter, r *http.Request, prefix, messageField string, faults *Faults,
	known func(op string) bool, run func(op string, body []byte) (any, *Error)) {
	name, _ := Target(r, prefix)
	if !known(name) {
		WriteJSON11(w, nil, Errorf(400, "UnknownOperationException", "Unknown operation %s", name), messageField)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f, faulted := faults.Next(name)
	if faulted && !f.DropResponse {
		WriteJSON11(w, nil, f.Err(), messageField)
		return
	}
	out, apiErr := run(name, body)
	if faulted {
		Drop(w)
		return
	}
	WriteJSON11(w, out, apiErr, messageField)
}
