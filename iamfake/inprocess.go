package iamfake

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// RoundTrip makes the Server an http.RoundTripper: an SDK client whose
// HTTPClient has the server as its Transport talks to it with no socket
// at all (what `sesprov --sandbox` does). A DropResponse fault answers
// with a connection-reset error, which the SDK's retryer retries as it
// retries a real one.
func (s *Server) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	rw := &memWriter{header: http.Header{}}
	s.ServeHTTP(rw, req)
	if rw.dropped {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	if rw.code == 0 {
		if err := req.Context().Err(); err != nil {
			return nil, err // cancelled during the latency wait
		}
		rw.code = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(rw.code) + " " + http.StatusText(rw.code),
		StatusCode:    rw.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rw.header,
		Body:          io.NopCloser(bytes.NewReader(rw.body.Bytes())),
		ContentLength: int64(rw.body.Len()),
		Request:       req,
	}, nil
}

// memWriter is the ResponseWriter of an in-process round trip.
type memWriter struct {
	header  http.Header
	code    int
	body    bytes.Buffer
	dropped bool
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *memWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *memWriter) drop() { w.dropped = true }
