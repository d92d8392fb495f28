package provision

import (
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/output"
)

// Helpers shared by the lifecycle commands (rotate, delete-user, list, convert).

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// WritePlan prints a dry run's plan, as create-user does.
func WritePlan(w io.Writer, f output.Format, items []PlanItem) error { return printPlan(w, f, items) }

func findKey(keys []types.AccessKeyMetadata, id string) (types.AccessKeyMetadata, bool) {
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == id {
			return k, true
		}
	}
	return types.AccessKeyMetadata{}, false
}

func regionNames(rs []derive.Region) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ",")
}
