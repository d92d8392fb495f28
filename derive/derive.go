// Package derive turns an AWS secret access key into an Amazon SES SMTP
// password (the algorithm of AWS's "Obtaining Amazon SES SMTP credentials"),
// and holds the table of regions with an SES SMTP endpoint. It is pure: no I/O.
package derive

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// The constants of the algorithm; AWS says they never change.
const (
	date     = "11111111"
	service  = "ses"
	terminal = "aws4_request"
	message  = "SendRawEmail"
	version  = 0x04
)

// Password returns the SES SMTP password for secretAccessKey in region.
func Password(secretAccessKey, region string) string {
	sig := sign([]byte("AWS4"+secretAccessKey), date)
	sig = sign(sig, region)
	sig = sign(sig, service)
	sig = sign(sig, terminal)
	sig = sign(sig, message)
	return base64.StdEncoding.EncodeToString(append([]byte{version}, sig...))
}

func sign(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
