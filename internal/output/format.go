// Package output holds the --output formats and what tables share.
package output

import (
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
)

// The output formats of --output.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
	FormatEnv   Format = "env"
)

// Format is an output format chosen with --output.
type Format string

// Formats lists every valid --output value, in the order --help shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatCSV, FormatEnv}

// ParseFormat validates an --output value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fail.Usagef("unknown output format %q: use one of table, json, csv, env", s)
}

// Dash stands for an empty table cell.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
