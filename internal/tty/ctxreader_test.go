package tty

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestContextReaderPassesData(t *testing.T) {
	src := strings.Repeat("line of input\n", 1000)
	r := ContextReader(context.Background(), iotest.OneByteReader(strings.NewReader(src)))
	if err := iotest.TestReader(r, []byte(src)); err != nil {
		t.Error(err)
	}
}

func TestContextReaderEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	defer pw.Close()
	r := ContextReader(ctx, pr)
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(r)
		done <- err
	}()
	pw.Write([]byte("partial")) // the reader is running: it took this write
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAll after cancel: %v, want context.Canceled", err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel: %v", err)
	}
}
