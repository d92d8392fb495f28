package tty

import (
	"context"
	"io"
)

// ContextReader returns a reader of r whose Read ends with ctx's error as
// soon as ctx is cancelled, even while r blocks: Ctrl-C must end a wait on a
// pipe that has not closed (credentials JSON, --from -, a secret). Data that
// arrives together with the cancellation is not returned: a pipe that closed
// because its writer got the same Ctrl-C is an interrupt, not the end of the
// input. A Read abandoned on cancellation leaves its goroutine waiting on r,
// which is fine for stdin in a command about to exit.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type readResult struct {
	b   []byte
	err error
}

type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	pending chan readResult // the Read in flight, if any
	left    []byte          // read but not yet returned
	err     error           // r's error, returned once left is empty
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(c.left) == 0 && c.err == nil {
		if c.pending == nil {
			c.pending = make(chan readResult, 1)
			buf := make([]byte, max(len(p), 512))
			go func(ch chan<- readResult) {
				n, err := c.r.Read(buf)
				ch <- readResult{buf[:n], err}
			}(c.pending)
		}
		select {
		case res := <-c.pending:
			c.pending = nil
			if err := c.ctx.Err(); err != nil {
				return 0, err
			}
			c.left, c.err = res.b, res.err
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	}
	n := copy(p, c.left)
	c.left = c.left[n:]
	if len(c.left) == 0 && c.err != nil {
		return n, c.err
	}
	return n, nil
}
