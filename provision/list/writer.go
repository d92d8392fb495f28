package list

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/tty"
)

var daysRE = regexp.MustCompile(`^(\d+)d$`)

// ParseMaxAge reads --max-age: a whole number of days ("90d") or a Go
// duration ("2160h", "36h30m"). "0" turns the flag off.
func ParseMaxAge(s string) (time.Duration, error) {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fail.Usagef("--max-age %q: too many days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fail.Usagef("--max-age %q: give days (90d) or a duration (2160h); 0 flags nothing", s)
	}
	return d, nil
}

// Writer writes listed users as a table (one row per key), JSON (one
// object per user per line) or CSV (one row per key).
type Writer struct {
	w      io.Writer
	buf    bytes.Buffer // the table's page, before trailing blanks are trimmed
	count  int
	format output.Format
	maxAge time.Duration
	tw     *tabwriter.Writer
	cw     *csv.Writer
	header bool
	paint  tty.Palette // colour for STATUS and FLAG, on a terminal only
	// accounts adds the account's id as the first column (list --org).
	accounts bool
}

// ShowAccounts adds the ACCOUNT column (table) and Account ID (CSV), for
// users of several accounts (list --org); JSON has account_id anyway.
func (l *Writer) ShowAccounts() { l.accounts = true }

// withAccount puts the account's id first when accounts are shown.
func (l *Writer) withAccount(id string, row []string) []string {
	if !l.accounts {
		return row
	}
	return append([]string{id}, row...)
}

// NewWriter returns a Writer; env output has no meaning for a list.
func NewWriter(w io.Writer, f output.Format, maxAge time.Duration) (*Writer, error) {
	lw := &Writer{w: w, format: f, maxAge: maxAge, paint: tty.NewPalette(w)}
	switch f {
	case output.FormatTable:
		lw.tw = tabwriter.NewWriter(&lw.buf, 0, 0, 2, ' ', 0)
	case output.FormatCSV:
		lw.cw = csv.NewWriter(w)
	case output.FormatJSON:
	default:
		return nil, fail.Usagef("list prints table, json or csv, not %s", f)
	}
	return lw, nil
}

// WriteUser writes one user.
func (l *Writer) WriteUser(u User) error {
	l.count++
	switch l.format {
	case output.FormatJSON:
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		_, err = l.w.Write(append(b, '\n'))
		return err
	case output.FormatCSV:
		if !l.header {
			l.header = true
			if err := l.cw.Write(l.withAccount("Account ID", []string{"User", "Access", "Access Key ID", "Status", "Created", "Age Days", "Last Used", "Last Used Service", "Last Used Region", "Over Max Age", "Allow From"})); err != nil {
				return err
			}
		}
		for _, r := range l.rows(u, time.RFC3339) {
			if err := l.cw.Write(l.withAccount(u.AccountID, r)); err != nil {
				return err
			}
		}
		return nil
	default:
		if !l.header {
			l.header = true
			if l.accounts {
				fmt.Fprint(l.tw, "ACCOUNT\t")
			}
			fmt.Fprintf(l.tw, "USER\tACCESS\tACCESS KEY\t%s\tAGE\tLAST USED\tSERVICE\tREGION\tFLAG\tFROM\n", l.paint.Head("STATUS"))
		}
		for _, r := range l.rows(u, time.DateOnly) {
			if r[2] == "" {
				r[2] = "-"
			}
			if r[5] != "" {
				r[5] += "d"
			}
			if r[9] == "true" {
				r[9] = "older than " + FormatMaxAge(l.maxAge)
			} else {
				r[9] = ""
			}
			r[3] = paintKeyStatus(l.paint, r[3])
			if r[9] != "" {
				r[9] = l.paint.Warn(r[9])
			}
			r = append(r[:4], r[5:]...) // the table shows age, not the creation date
			fmt.Fprintln(l.tw, strings.Join(l.withAccount(u.AccountID, r), "\t"))
		}
		return nil
	}
}

// paintKeyStatus colours a key's status on a terminal: Active green,
// Inactive yellow (a key to retire or re-enable); every cell of the column
// is painted, so it stays aligned.
func paintKeyStatus(p tty.Palette, status string) string {
	switch status {
	case "Active":
		return p.Good(status)
	case "Inactive":
		return p.Warn(status)
	}
	return p.Plain(status)
}

// rows are a user's CSV rows: one per key, or one with no key.
func (l *Writer) rows(u User, layout string) [][]string {
	from := strings.Join(u.AllowFrom, " ") // a space: CSV and table cells stay one word list
	if len(u.Keys) == 0 {
		return [][]string{{u.UserName, string(u.Access), "", "", "", "", "", "", "", "", from}}
	}
	var out [][]string
	for _, k := range u.Keys {
		used, svc, reg := "never", k.LastUsedService, k.LastUsedRegion
		if k.LastUsed != nil {
			used = k.LastUsed.UTC().Format(layout)
		}
		out = append(out, []string{u.UserName, string(u.Access), k.AccessKeyID, k.Status,
			k.Created.UTC().Format(layout), strconv.Itoa(k.AgeDays), used, svc, reg, strconv.FormatBool(k.OverMaxAge), from})
	}
	return out
}

// Count is the number of users written.
func (l *Writer) Count() int { return l.count }

// Flush writes out what is buffered (called after each page).
func (l *Writer) Flush() error {
	if l.tw != nil {
		if err := l.tw.Flush(); err != nil {
			return err
		}
		var out bytes.Buffer
		for _, line := range bytes.SplitAfter(l.buf.Bytes(), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			out.Write(bytes.TrimRight(line, " \n"))
			out.WriteByte('\n')
		}
		l.buf.Reset()
		_, err := l.w.Write(out.Bytes())
		return err
	}
	if l.cw != nil {
		l.cw.Flush()
		return l.cw.Error()
	}
	return nil
}

// FormatMaxAge prints a --max-age back the way users write it.
func FormatMaxAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
