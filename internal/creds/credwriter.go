// Package creds holds SMTP credentials: derived from a key, written in each
// --output format, and read back (verify reads what create-user printed).
package creds

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

// RegionCredential is one region's SMTP password.
type RegionCredential struct {
	Region       string
	SMTPEndpoint string
	Password     redact.Secret
}

// CredentialSet is what create-user, rotate and convert deliver for one user.
// derive fills only Credentials.
type CredentialSet struct {
	UserName        string
	UserARN         string
	AccessKeyID     string
	SecretAccessKey redact.Secret // written only when the writer was asked to include it
	Credentials     []RegionCredential
	Status          string // a batch's per-user outcome (JSON "status"); empty otherwise
}

// jsonCredentialSet is the wire shape of the JSON output (-o json).
type jsonCredentialSet struct {
	UserName        string           `json:"user_name,omitempty"`
	UserARN         string           `json:"user_arn,omitempty"`
	AccessKeyID     string           `json:"access_key_id,omitempty"`
	SMTPUsername    string           `json:"smtp_username,omitempty"`
	SecretAccessKey string           `json:"secret_access_key,omitempty"`
	Status          string           `json:"status,omitempty"`
	Credentials     []jsonRegionCred `json:"credentials"`
}

type jsonRegionCred struct {
	Region       string `json:"region"`
	SMTPEndpoint string `json:"smtp_endpoint"`
	SMTPPassword string `json:"smtp_password"`
}

// CredentialWriter writes credential sets in one format. JSON and env stream
// one set per Write; table and CSV write a header once. Close flushes.
type CredentialWriter struct {
	w             io.Writer
	format        output.Format
	includeSecret bool
	userWidth     int
	wrote         bool
	noUser        bool // table: the first set had no user (derive): no USER column
	noKeyID       bool // table: … and no access key ID: no SMTP USERNAME column
	tw            *tabwriter.Writer
	cw            *csv.Writer
}

// NewCredentialWriter returns a writer of format f to w. includeSecret adds the
// secret access key (--include-secret-key).
func NewCredentialWriter(w io.Writer, f output.Format, includeSecret bool) *CredentialWriter {
	cwr := &CredentialWriter{w: w, format: f, includeSecret: includeSecret}
	switch f {
	case output.FormatTable:
		cwr.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	case output.FormatCSV:
		cwr.cw = csv.NewWriter(w)
	}
	return cwr
}

// Write writes one credential set.
func (c *CredentialWriter) Write(s CredentialSet) error {
	first := !c.wrote
	c.wrote = true
	switch c.format {
	case output.FormatJSON:
		return c.writeJSON(s)
	case output.FormatCSV:
		return c.writeCSV(s, first)
	case output.FormatEnv:
		return c.writeEnv(s, first)
	default:
		return c.writeTable(s, first)
	}
}

func (c *CredentialWriter) writeJSON(s CredentialSet) error {
	out := jsonCredentialSet{
		UserName:     s.UserName,
		UserARN:      s.UserARN,
		AccessKeyID:  s.AccessKeyID,
		SMTPUsername: s.AccessKeyID,
		Status:       s.Status,
		Credentials:  make([]jsonRegionCred, 0, len(s.Credentials)),
	}
	if c.includeSecret {
		out.SecretAccessKey = s.SecretAccessKey.Reveal()
	}
	for _, r := range s.Credentials {
		out.Credentials = append(out.Credentials, jsonRegionCred{r.Region, r.SMTPEndpoint, r.Password.Reveal()})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = c.w.Write(b)
	return err
}

func (c *CredentialWriter) writeCSV(s CredentialSet, first bool) error {
	if first {
		// The console's download has the first three columns; scripts that read
		// it by position keep working.
		hdr := []string{"IAM User Name", "Smtp Username", "Smtp Password", "Region", "SMTP Endpoint"}
		if c.includeSecret {
			hdr = append(hdr, "Secret Access Key")
		}
		if err := c.cw.Write(hdr); err != nil {
			return err
		}
	}
	for _, r := range s.Credentials {
		row := []string{s.UserName, s.AccessKeyID, r.Password.Reveal(), r.Region, r.SMTPEndpoint}
		if c.includeSecret {
			row = append(row, s.SecretAccessKey.Reveal())
		}
		if err := c.cw.Write(row); err != nil {
			return err
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

// EnvName turns a region into the suffix of an environment variable name.
func EnvName(region string) string {
	return strings.ToUpper(strings.ReplaceAll(region, "-", "_"))
}

func (c *CredentialWriter) writeEnv(s CredentialSet, first bool) error {
	var b strings.Builder
	if !first {
		b.WriteByte('\n')
	}
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	if s.UserName != "" {
		kv("SES_SMTP_IAM_USER", s.UserName)
	}
	if s.AccessKeyID != "" {
		kv("SES_SMTP_USERNAME", s.AccessKeyID)
	}
	if c.includeSecret {
		kv("AWS_SECRET_ACCESS_KEY", s.SecretAccessKey.Reveal())
	}
	if len(s.Credentials) == 1 {
		r := s.Credentials[0]
		kv("SES_SMTP_REGION", r.Region)
		kv("SES_SMTP_HOST", r.SMTPEndpoint)
		kv("SES_SMTP_PASSWORD", r.Password.Reveal())
	}
	for _, r := range s.Credentials {
		kv("SES_SMTP_HOST_"+EnvName(r.Region), r.SMTPEndpoint)
		kv("SES_SMTP_PASSWORD_"+EnvName(r.Region), r.Password.Reveal())
	}
	_, err := io.WriteString(c.w, b.String())
	return err
}

// shellQuote quotes v for POSIX sh, so `. file` or `eval` reads it back exactly.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func (c *CredentialWriter) writeTable(s CredentialSet, first bool) error {
	if first {
		// derive has neither user nor (unless given) key: no empty columns.
		c.noUser = s.UserName == ""
		c.noKeyID = c.noUser && s.AccessKeyID == ""
		hdr := "REGION\tSMTP ENDPOINT\tSMTP PASSWORD"
		if !c.noKeyID {
			hdr = "SMTP USERNAME\t" + hdr
		}
		if !c.noUser {
			hdr = "USER\t" + hdr
		}
		if c.includeSecret {
			hdr += "\tSECRET ACCESS KEY"
		}
		fmt.Fprintln(c.tw, hdr)
	}
	user, keyID := output.Dash(s.UserName), output.Dash(s.AccessKeyID)
	if pad := c.userWidth - len(user); pad > 0 {
		user += strings.Repeat(" ", pad)
	}
	for _, r := range s.Credentials {
		line := fmt.Sprintf("%s\t%s\t%s", r.Region, r.SMTPEndpoint, r.Password.Reveal())
		if !c.noKeyID {
			line = keyID + "\t" + line
		}
		if !c.noUser {
			line = user + "\t" + line
		}
		if c.includeSecret {
			line += "\t" + s.SecretAccessKey.Reveal()
		}
		fmt.Fprintln(c.tw, line)
	}
	return nil
}

// AlignUsers pads the table's user column to the longest of names, so that
// a batch flushed one user at a time (Close after each Write) still lines up.
func (c *CredentialWriter) AlignUsers(names []string) {
	for _, n := range names {
		c.userWidth = max(c.userWidth, len(n))
	}
}

// Close flushes buffered output (the table is aligned across all its rows).
func (c *CredentialWriter) Close() error {
	if c.tw != nil {
		return c.tw.Flush()
	}
	if c.cw != nil {
		c.cw.Flush()
		return c.cw.Error()
	}
	return nil
}
