package iamfaketest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// motoListening is the line moto_server (werkzeug) prints once its socket
// listens.
var motoListening = regexp.MustCompile(`Running on (http://[0-9.]+:[0-9]+)`)

// StartMoto runs the moto_server at path on 127.0.0.1 until the test ends
// and returns its URL. moto picks its own free port (-p 0) and the URL is
// read from what it prints once it listens: no port is chosen first and
// freed for moto to take (another listener could take it meanwhile, and a
// probe would then find that one), and moto is known to answer. env is
// added to moto's environment.
func StartMoto(t testing.TB, path string, env ...string) string {
	t.Helper()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	cmd.Env = append(os.Environ(), env...)
	ownProcessGroup(cmd) // moto may start children: end them all
	// An os.Pipe of our own, not StderrPipe: Wait (below, concurrent with
	// the reading) must not close it under the reader.
	stderr, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stderr.Close()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		endProcessGroup(cmd, false)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			endProcessGroup(cmd, true)
			<-exited
		}
	})
	found := make(chan string, 1)
	read := make(chan struct{})
	var seen strings.Builder // what moto printed before it listened, for the failure message
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := motoListening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
			seen.WriteString(sc.Text() + "\n")
		}
		// moto logs every request: keep reading, or it blocks on a full pipe.
		io.Copy(io.Discard, stderr)
		stderr.Close()
	}()
	select {
	case url := <-found:
		return url
	case <-read:
		<-exited
		t.Fatalf("moto_server ended before it listened (%v):\n%s", cmd.ProcessState, seen.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("moto_server did not say it listens within 60s")
	}
	return ""
}
