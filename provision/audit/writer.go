package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
)

// Writer writes findings: JSON (one object a line), CSV (one row each, for
// spreadsheets) or a table grouped by user (the user named once, on its
// first finding). Accounts adds the ACCOUNT column (with --org). It is safe
// for concurrent use: accounts are audited at once.
type Writer struct {
	mu       sync.Mutex
	w        io.Writer
	format   output.Format
	accounts bool
	tw       *tabwriter.Writer
	cw       *csv.Writer
	header   bool
	lastUser string
	count    int
}

// NewWriter returns a Writer for f; env output has no meaning here.
func NewWriter(w io.Writer, f output.Format, accounts bool) (*Writer, error) {
	aw := &Writer{w: w, format: f, accounts: accounts}
	switch f {
	case output.FormatTable:
		aw.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	case output.FormatCSV:
		aw.cw = csv.NewWriter(w)
	case output.FormatJSON:
	default:
		return nil, fail.Usagef("audit prints table, json or csv, not %s", f)
	}
	return aw, nil
}

// Write writes one user's findings together.
func (a *Writer) Write(fs []Finding) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range fs {
		if err := a.write(f); err != nil {
			return err
		}
	}
	return nil
}

func (a *Writer) write(f Finding) error {
	a.count++
	switch a.format {
	case output.FormatJSON:
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		_, err = a.w.Write(append(b, '\n'))
		return err
	case output.FormatCSV:
		if !a.header {
			a.header = true
			if err := a.cw.Write(a.row("Account ID", "User", "Access Key ID", "Finding", "Detail")); err != nil {
				return err
			}
		}
		if err := a.cw.Write(a.row(f.AccountID, f.UserName, f.AccessKeyID, f.Finding, f.Detail)); err != nil {
			return err
		}
		a.cw.Flush()
		return a.cw.Error()
	default:
		if !a.header {
			a.header = true
			fmt.Fprintln(a.tw, strings.Join(a.row("ACCOUNT", "USER", "ACCESS KEY", "FINDING", "DETAIL"), "\t"))
		}
		user := f.AccountID + "/" + f.UserName
		name := f.UserName
		if user == a.lastUser {
			name = "" // grouped: the user is named on its first finding
		}
		a.lastUser = user
		fmt.Fprintln(a.tw, strings.Join(a.row(f.AccountID, name, output.Dash(f.AccessKeyID), f.Finding, f.Detail), "\t"))
		return nil
	}
}

// row drops the account column unless accounts are shown.
func (a *Writer) row(account string, rest ...string) []string {
	if a.accounts {
		return append([]string{account}, rest...)
	}
	return rest
}

// Count is the number of findings written.
func (a *Writer) Count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}

// Flush writes out the table.
func (a *Writer) Flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tw != nil {
		return a.tw.Flush()
	}
	return nil
}
