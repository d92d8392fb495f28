package iamfake

import (
	"io"
	"net/http"
)

// ClientTransport wraps the transport of an SDK client that talks to
// iamfake over a socket (nil means http.DefaultTransport). iamfaketest's
// configs use it; so should any program pointing aws-sdk-go-v2 at a local
// iamfake with --endpoint-url.
//
// Why: net/http sends a small request body straight to the socket and
// only then reads the body once more to check that it has ended; the SDK
// closes the request body as soon as the response headers arrive, and its
// closed body answers that last read (a WriteTo) with io.EOF, which
// net/http takes as a failed write: it closes the connection under the
// response still being read ("use of closed network connection", a race
// known to the SDK's tracker). Against AWS the response comes too late to
// lose the race; against a server as fast as iamfake it is lost within a
// few hundred calls with large answers. Hiding WriteTo makes a closed body
// read as a clean end of stream.
func ClientTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return bodyWithoutWriterTo{base}
}

type bodyWithoutWriterTo struct{ rt http.RoundTripper }

func (t bodyWithoutWriterTo) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := req.Clone(req.Context())
		r.Body = readCloser{req.Body}
		return t.rt.RoundTrip(r)
	}
	return t.rt.RoundTrip(req)
}

// readCloser has Read and Close only.
type readCloser struct{ io.ReadCloser }
