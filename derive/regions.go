package derive

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sesprov/sesprov/internal/editdist"
)

// Status says whether sesprov derives a password for a region without being
// told to.
type Status string

const (
	// StatusAvailable: a source lists an SES SMTP endpoint for the region.
	StatusAvailable Status = "available"
	// StatusUnavailable: a source says the region has no SMTP endpoint.
	StatusUnavailable Status = "unavailable"
	// StatusUndocumented: an AWS region that no SES SMTP source mentions.
	StatusUndocumented Status = "undocumented"
	// StatusAllowed: refused or unknown by the table, used because the user
	// passed --allow-region.
	StatusAllowed Status = "allowed by --allow-region"
)

// The documents the table is built from (see docs/regions.md). Their names are
// shown to users, in `sesprov regions` and in errors, so that a user who knows
// better can weigh them.
const (
	// SourceExampleScript is SMTP_REGIONS in AWS's Python example on "Obtaining
	// Amazon SES SMTP credentials" (the same list as AWS's example repository;
	// eu-south-1 was added in November 2023).
	SourceExampleScript = "AWS's example script SMTP_REGIONS"
	// SourceGeneralReference is the SES SMTP endpoint table of the AWS General
	// Reference (email-smtp and email-smtp-fips endpoints).
	SourceGeneralReference = "AWS General Reference"
	// SourceCredentialsPage is the note on the same page: "SMTP endpoints are not
	// currently available in Africa (Cape Town), Asia Pacific (Jakarta),
	// Europe (Milan), Israel (Tel Aviv) and Middle East (Bahrain)".
	SourceCredentialsPage = "AWS's SMTP credentials page (unavailable)"
	// SourceSDKPartitions is the region list of the AWS SDK for Go v2
	// (internal/endpoints/awsrulesfn/partitions.json, v1.47.7): it says which
	// names are AWS regions, not which have SES.
	SourceSDKPartitions = "AWS SDK region list"
)

// Region is one row of the region table.
type Region struct {
	Name        string   // e.g. eu-west-1
	Description string   // AWS's long name, e.g. Europe (Ireland)
	Partition   string   // aws, aws-us-gov, aws-cn, …
	Status      Status   // see Status
	Sources     []string // the documents that list (or exclude) the region
	Note        string   // why the status, where the sources disagree

	// SMTPEndpoint is email-smtp.NAME.DNS-SUFFIX; empty when the region has
	// no documented endpoint.
	SMTPEndpoint string
	// FIPSEndpoint is email-smtp-fips.NAME.amazonaws.com where the General
	// Reference lists one; empty elsewhere.
	FIPSEndpoint string
}

// Usable reports whether sesprov derives passwords for the region.
func (r Region) Usable() bool {
	return r.Status == StatusAvailable || r.Status == StatusAllowed
}

// Source joins Sources for display.
func (r Region) Source() string { return strings.Join(r.Sources, "; ") }

// row is the compact form the table is written in.
type row struct {
	name, description, partition string
	status                       Status
	fips                         bool
	sources                      []string
	note                         string
}

var (
	script     = []string{SourceExampleScript}
	generalRef = []string{SourceGeneralReference}
	credsPage  = []string{SourceCredentialsPage}
	sdkOnly    = []string{SourceSDKPartitions}
	// The General Reference's FIPS endpoints name these regions too.
	scriptAndFIPS = []string{SourceExampleScript, SourceGeneralReference}
)

const govCloud = "GovCloud: needs a key of an aws-us-gov account; a commercial account's key is refused"

// table is the region table: first the regions with an endpoint in AWS's example
// script's order, then the ones only the General Reference lists, then the
// ones AWS's SMTP credentials page says have none, then every other AWS region.
var table = []row{
	{"us-east-2", "US East (Ohio)", "aws", StatusAvailable, true, scriptAndFIPS, ""},
	{"us-east-1", "US East (N. Virginia)", "aws", StatusAvailable, true, scriptAndFIPS, ""},
	{"us-west-2", "US West (Oregon)", "aws", StatusAvailable, true, scriptAndFIPS, ""},
	{"ap-south-1", "Asia Pacific (Mumbai)", "aws", StatusAvailable, false, script, ""},
	{"ap-northeast-2", "Asia Pacific (Seoul)", "aws", StatusAvailable, false, script, ""},
	{"ap-southeast-1", "Asia Pacific (Singapore)", "aws", StatusAvailable, false, script, ""},
	{"ap-southeast-2", "Asia Pacific (Sydney)", "aws", StatusAvailable, false, script, ""},
	{"ap-northeast-1", "Asia Pacific (Tokyo)", "aws", StatusAvailable, false, script, ""},
	{"ca-central-1", "Canada (Central)", "aws", StatusAvailable, false, script, ""},
	{"eu-central-1", "Europe (Frankfurt)", "aws", StatusAvailable, false, script, ""},
	{"eu-west-1", "Europe (Ireland)", "aws", StatusAvailable, false, script, ""},
	{"eu-west-2", "Europe (London)", "aws", StatusAvailable, false, script, ""},
	{"eu-south-1", "Europe (Milan)", "aws", StatusAvailable, false,
		[]string{SourceExampleScript, SourceCredentialsPage},
		"sources disagree: AWS's SMTP credentials page says Milan has no SMTP endpoint; its example script, the later source (November 2023), lists it"},
	{"eu-north-1", "Europe (Stockholm)", "aws", StatusAvailable, false, script, ""},
	{"sa-east-1", "South America (Sao Paulo)", "aws", StatusAvailable, false, script, ""},
	{"us-gov-west-1", "AWS GovCloud (US-West)", "aws-us-gov", StatusAvailable, true, scriptAndFIPS,
		govCloud},
	{"us-gov-east-1", "AWS GovCloud (US-East)", "aws-us-gov", StatusAvailable, false, script,
		govCloud},

	{"us-west-1", "US West (N. California)", "aws", StatusAvailable, false, generalRef, "not in AWS's example script's list"},
	{"eu-west-3", "Europe (Paris)", "aws", StatusAvailable, false, generalRef, "not in AWS's example script's list"},
	{"ap-northeast-3", "Asia Pacific (Osaka)", "aws", StatusAvailable, false, generalRef, "not in AWS's example script's list"},

	{"af-south-1", "Africa (Cape Town)", "aws", StatusUnavailable, false, credsPage, "AWS's SMTP credentials page: no SMTP endpoint in Africa (Cape Town)"},
	{"ap-southeast-3", "Asia Pacific (Jakarta)", "aws", StatusUnavailable, false, credsPage, "AWS's SMTP credentials page: no SMTP endpoint in Asia Pacific (Jakarta)"},
	{"il-central-1", "Israel (Tel Aviv)", "aws", StatusUnavailable, false, credsPage, "AWS's SMTP credentials page: no SMTP endpoint in Israel (Tel Aviv)"},
	{"me-south-1", "Middle East (Bahrain)", "aws", StatusUnavailable, false, credsPage, "AWS's SMTP credentials page: no SMTP endpoint in Middle East (Bahrain)"},

	{"ap-east-1", "Asia Pacific (Hong Kong)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-east-2", "Asia Pacific (Taipei)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-south-2", "Asia Pacific (Hyderabad)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-southeast-4", "Asia Pacific (Melbourne)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-southeast-5", "Asia Pacific (Malaysia)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-southeast-6", "Asia Pacific (New Zealand)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ap-southeast-7", "Asia Pacific (Thailand)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"ca-west-1", "Canada West (Calgary)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"eu-central-2", "Europe (Zurich)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"eu-south-2", "Europe (Spain)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"me-central-1", "Middle East (UAE)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"mx-central-1", "Mexico (Central)", "aws", StatusUndocumented, false, sdkOnly, ""},
	{"cn-north-1", "China (Beijing)", "aws-cn", StatusUndocumented, false, sdkOnly, "China partition: separate accounts and credentials"},
	{"cn-northwest-1", "China (Ningxia)", "aws-cn", StatusUndocumented, false, sdkOnly, "China partition: separate accounts and credentials"},
	{"eusc-de-east-1", "AWS European Sovereign Cloud (Germany)", "aws-eusc", StatusUndocumented, false, sdkOnly, "European Sovereign Cloud partition: separate accounts and credentials"},
	{"us-iso-east-1", "US ISO East", "aws-iso", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"us-iso-west-1", "US ISO West", "aws-iso", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"us-isob-east-1", "US ISOB East (Ohio)", "aws-iso-b", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"us-isob-west-1", "US ISOB West", "aws-iso-b", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"eu-isoe-west-1", "EU ISOE West", "aws-iso-e", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"us-isof-east-1", "US ISOF East", "aws-iso-f", StatusUndocumented, false, sdkOnly, "isolated partition"},
	{"us-isof-south-1", "US ISOF South", "aws-iso-f", StatusUndocumented, false, sdkOnly, "isolated partition"},
}

// partitions maps a region name to its partition and DNS suffix by the
// name's prefix (as the SDK's partitions.json does by pattern), for names the
// table lacks. Plain string checks, not regexps: package init runs on every
// sesprov start.
var partitions = []struct{ prefix, id, suffix string }{
	{"us-gov-", "aws-us-gov", "amazonaws.com"},
	{"us-iso-", "aws-iso", "c2s.ic.gov"},
	{"us-isob-", "aws-iso-b", "sc2s.sgov.gov"},
	{"eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"},
	{"us-isof-", "aws-iso-f", "csp.hci.ic.gov"},
	{"cn-", "aws-cn", "amazonaws.com.cn"},
	{"eusc-", "aws-eusc", "amazonaws.eu"},
}

func partitionOf(name string) (id, suffix string) {
	for _, p := range partitions {
		if strings.HasPrefix(name, p.prefix) {
			return p.id, p.suffix
		}
	}
	return "aws", "amazonaws.com"
}

// regionShaped reports whether name looks like an AWS region name: 2 to 4
// lower-case letters, one or two lower-case words, and a number of one or two
// digits, joined by hyphens (us-east-1, us-gov-west-1, eusc-de-east-1).
func regionShaped(name string) bool {
	parts := strings.Split(name, "-")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	last := parts[len(parts)-1]
	if len(parts[0]) < 2 || len(parts[0]) > 4 || len(last) < 1 || len(last) > 2 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || strings.IndexFunc(p, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
			return false
		}
	}
	return strings.IndexFunc(last, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func (r row) region() Region {
	reg := Region{
		Name:        r.name,
		Description: r.description,
		Partition:   r.partition,
		Status:      r.status,
		Sources:     slices.Clone(r.sources),
		Note:        r.note,
	}
	if r.status == StatusAvailable {
		_, suffix := partitionOf(r.name)
		reg.SMTPEndpoint = "email-smtp." + r.name + "." + suffix
		if r.fips {
			reg.FIPSEndpoint = "email-smtp-fips." + r.name + "." + suffix
		}
	}
	return reg
}

var byName = func() map[string]int {
	m := make(map[string]int, len(table))
	for i, r := range table {
		if _, dup := m[r.name]; dup {
			panic("derive: region table lists " + r.name + " twice")
		}
		m[r.name] = i
	}
	return m
}()

// Regions returns the whole table, in table order: the regions with an SMTP
// endpoint first, then the refused ones. The caller may modify the result.
func Regions() []Region {
	out := make([]Region, len(table))
	for i, r := range table {
		out[i] = r.region()
	}
	return out
}

// Lookup returns the table's row for name (an exact, lower-case region name).
func Lookup(name string) (Region, bool) {
	i, ok := byName[name]
	if !ok {
		return Region{}, false
	}
	return table[i].region(), true
}

// Endpoint returns the SMTP endpoint for a region name: the table's, or
// email-smtp.NAME.SUFFIX for a name it lacks.
func Endpoint(name string) string {
	if r, ok := Lookup(name); ok && r.SMTPEndpoint != "" {
		return r.SMTPEndpoint
	}
	_, suffix := partitionOf(name)
	return "email-smtp." + name + "." + suffix
}

// RegionProblem is one refused name and why.
type RegionProblem struct {
	Name   string
	Reason string
}

// RegionError lists every refused name of one ResolveRegions call.
type RegionError struct {
	Problems []RegionProblem
}

func (e *RegionError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		p := e.Problems[0]
		fmt.Fprintf(&b, "region %s refused: %s", quoteName(p.Name), p.Reason)
		return b.String()
	}
	fmt.Fprintf(&b, "%d regions refused:", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", quoteName(p.Name), p.Reason)
	}
	return b.String()
}

// quoteName quotes a refused name, unless it could be a secret put where a
// region belongs (arguments swapped, a hand-edited file): errors go to
// terminals and logs, and a secret must not.
func quoteName(name string) string {
	if EchoSafe(name) {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("(a value of %d characters, not shown: it may be a secret)", len(name))
}

// EchoSafe reports whether a value given where a region name belongs may be
// shown in a message: short (a region name has at most 20 characters; an
// AWS secret access key 40, an SMTP password 44) and made only of letters,
// digits, spaces, '-', '_' and '.', which base64 secrets rarely are.
func EchoSafe(s string) bool {
	if len(s) > 24 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ' ')
	}) < 0
}

// ResolveRegions validates region names and returns their rows, in the order
// given, without duplicates. Every bad name is reported at once, with the
// reason and the source behind it. A name in allow is accepted even where the
// table refuses it (AWS may have added an endpoint since), as long as it is
// shaped like a region name; its endpoint is email-smtp.NAME.SUFFIX and its
// status StatusAllowed. allow does not add regions: only names selects them.
func ResolveRegions(names []string, allow []string) ([]Region, error) {
	var problems []RegionProblem
	allowed := make(map[string]bool, len(allow))
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !regionShaped(a) {
			problems = append(problems, RegionProblem{a, "--allow-region: " + notARegion(a)})
			continue
		}
		allowed[a] = true
	}
	seen := make(map[string]bool, len(names))
	out := make([]Region, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		r, known := Lookup(n)
		switch {
		case known && r.Status == StatusAvailable:
			out = append(out, r)
		case allowed[n]:
			out = append(out, allowedRegion(n, r, known))
		case known:
			problems = append(problems, RegionProblem{n, refusal(r)})
		default:
			problems = append(problems, RegionProblem{n, notARegion(n)})
		}
	}
	if len(problems) > 0 {
		return nil, &RegionError{Problems: problems}
	}
	if len(out) == 0 {
		return nil, errors.New("no region given")
	}
	return out, nil
}

func allowedRegion(name string, r Region, known bool) Region {
	partition, suffix := partitionOf(name)
	a := Region{
		Name:         name,
		Partition:    partition,
		Status:       StatusAllowed,
		SMTPEndpoint: "email-smtp." + name + "." + suffix,
		Note:         "not in sesprov's table; used because of --allow-region",
	}
	if known {
		a.Description = r.Description
		a.Sources = r.Sources
		a.Note = "the table says " + string(r.Status) + "; used because of --allow-region"
	}
	return a
}

// refusal explains why a known region is refused, naming the source.
func refusal(r Region) string {
	switch r.Status {
	case StatusUnavailable:
		return fmt.Sprintf("no SES SMTP endpoint in %s (source: %s, \"Obtaining Amazon SES SMTP credentials\"); if AWS has added one since, pass --allow-region %s",
			r.Description, r.Source(), r.Name)
	default:
		return fmt.Sprintf("%s is an AWS region, but no SMTP endpoint is documented for this region (neither %s nor the %s lists it); if AWS has added one, pass --allow-region %s",
			r.Description, SourceExampleScript, SourceGeneralReference, r.Name)
	}
}

// notARegion explains why a name is not an AWS region and suggests the name
// the user probably meant.
func notARegion(name string) string {
	msg := "not an AWS region"
	if s := suggest(name); len(s) > 0 {
		return msg + "; did you mean " + orList(s) + "?"
	}
	if regionShaped(name) {
		return msg + " that sesprov knows; if it is a new one with an SES SMTP endpoint, pass --allow-region " + name
	}
	return msg + "; run 'sesprov regions' for the list"
}

// suggest returns the table's names closest to a mistyped one: the same name
// in lower case, without an availability-zone letter, with hyphens restored,
// or within two edits (regions with an endpoint first).
func suggest(name string) []string {
	lower := strings.ToLower(strings.TrimSpace(name))
	if _, ok := byName[lower]; ok && lower != name {
		return []string{lower}
	}
	if n := len(lower); n > 1 && lower[n-1] >= 'a' && lower[n-1] <= 'z' {
		if _, ok := byName[lower[:n-1]]; ok { // eu-west-1a: a zone
			return []string{lower[:n-1]}
		}
	}
	squash := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(s)
	}
	for _, r := range table {
		if squash(r.name) == squash(lower) {
			return []string{r.name}
		}
	}
	type cand struct {
		name   string
		dist   int
		usable bool
	}
	var cs []cand
	for _, r := range table {
		if d := editdist.Distance(lower, r.name); d <= 2 {
			cs = append(cs, cand{r.name, d, r.status == StatusAvailable})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		if cs[i].usable != cs[j].usable {
			return cs[i].usable
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for _, c := range cs {
		if len(out) == 3 || c.dist > cs[0].dist {
			break
		}
		out = append(out, c.name)
	}
	return out
}

func orList(s []string) string {
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " or " + s[1]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// JoinNames writes the regions' names separated by sep ("," for a flag's
// value, ", " for a sentence).
func JoinNames(rs []Region, sep string) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, sep)
}
