package createuser

import (
	"bufio"
	"io"
	"regexp"

	"github.com/sesprov/sesprov/internal/fail"
)

// A re-run of a batch that failed for some users or was cut short must not
// call the users the earlier run delivered conflicts: their only key is
// young and never used, exactly like the key of a run killed before it
// delivered. IAM cannot tell the two apart, and recording the delivery in
// IAM would cost a fourth call per user. The earlier run's output can: it
// names every key it delivered. --done FILE gives it back, and a user whose
// key ID it holds is done ("exists"), whatever the key's age.

// keyIDPattern matches an IAM access key ID in any of the -o formats
// (table, json, csv, env): AKIA (long-term) then 16 or more upper-case
// letters and digits.
var keyIDPattern = regexp.MustCompile(`\bAKIA[A-Z0-9]{16,124}\b`)

// ReadDoneKeys reads an earlier run's output (any -o format) and returns the
// access key IDs it names. The secrets in it are read past, never kept. A
// file naming no key is a usage error: it is not a run's output.
func ReadDoneKeys(r io.Reader, name string, into map[string]bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	found := 0
	for sc.Scan() {
		for _, id := range keyIDPattern.FindAllString(sc.Text(), -1) {
			into[id] = true
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return fail.Usagef("--done %s: %v", name, err)
	}
	if found == 0 {
		return fail.Usagef("--done %s names no access key ID: give the file an earlier run of this batch wrote its credentials to (--out-file, or its stdout saved)", name)
	}
	return nil
}
