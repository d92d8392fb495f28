package iamfake

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"
)

// The credential report: a CSV of every user's credentials, one row each
// after the root account's, in IAM's columns (IAM User Guide, "Getting
// credential reports for your AWS account"). GenerateCredentialReport
// takes a snapshot; GetCredentialReport answers it until it is four hours
// old, as IAM does.

const reportLifetime = 4 * time.Hour

type credReport struct {
	Generated time.Time
	CSV       []byte
}

var reportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// generateCredentialReport answers STARTED when there was no report (or
// it had expired) and COMPLETE after, as IAM does; the snapshot itself is
// made at once.
func (s *Server) generateCredentialReport(q *request, w *xmlw) *apiError {
	if r := s.st.Report; r != nil && q.now.Sub(r.Generated) < reportLifetime {
		w.el("State", "COMPLETE")
		return nil
	}
	s.st.Report = &credReport{Generated: q.now, CSV: s.reportCSV(q)}
	w.el("State", "STARTED")
	w.el("Description", "No report exists. Starting a new report generation task")
	return nil
}

func (s *Server) getCredentialReport(q *request, w *xmlw) *apiError {
	r := s.st.Report
	if r == nil {
		return &apiError{Code: "ReportNotPresent", Message: "Credential report not present. Call GenerateCredentialReport first.", status: 410}
	}
	if q.now.Sub(r.Generated) >= reportLifetime {
		return &apiError{Code: "ReportExpired", Message: "Credential report expired. Call GenerateCredentialReport to generate a new one.", status: 410}
	}
	w.blob("Content", r.CSV)
	w.el("ReportFormat", "text/csv")
	w.time("GeneratedTime", r.Generated)
	return nil
}

func (s *Server) reportCSV(q *request) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(reportColumns)
	root := []string{"<root_account>", "arn:aws:iam::" + s.opts.AccountID + ":root", reportTime(s.started),
		"not_supported", "no_information", "not_supported", "not_supported", "false"}
	root = append(root, keyColumns(nil)...)
	cw.Write(append(root, certColumns(nil)...))
	s.st.Users.each(func(u *user) {
		if !q.visible(u.VisibleAt) {
			return
		}
		row := []string{u.Name, s.arn("user", u.Path, u.Name), reportTime(u.Created)}
		row = append(row, passwordColumns(u)...)
		row = append(row, strconv.FormatBool(u.MFA.len() > 0))
		row = append(row, keyColumns(u.Keys)...)
		cw.Write(append(row, certColumns(u.Certs)...))
	})
	cw.Flush()
	return b.Bytes()
}

func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// passwordColumns: enabled, last used, last changed, next rotation.
// Passwords are never used against iamfake.
func passwordColumns(u *user) []string {
	if u.Login == nil {
		return []string{"false", "N/A", "N/A", "N/A"}
	}
	return []string{"true", "no_information", reportTime(u.Login.Created), "N/A"}
}

// keyColumns: active, last rotated, last used date, region, service, for
// the first two keys.
func keyColumns(keys []*accessKey) []string {
	var out []string
	for i := range 2 {
		if i >= len(keys) {
			out = append(out, "false", "N/A", "N/A", "N/A", "N/A")
			continue
		}
		k := keys[i]
		used, region, svc := "N/A", "N/A", "N/A"
		if !k.LastUsed.IsZero() {
			used, region, svc = reportTime(k.LastUsed), k.LastRegion, k.LastService
		}
		out = append(out, strconv.FormatBool(k.Status == "Active"), reportTime(k.Created), used, region, svc)
	}
	return out
}

func certColumns(certs []*signingCert) []string {
	var out []string
	for i := range 2 {
		if i >= len(certs) {
			out = append(out, "false", "N/A")
			continue
		}
		out = append(out, strconv.FormatBool(certs[i].Status == "Active"), reportTime(certs[i].Uploaded))
	}
	return out
}
