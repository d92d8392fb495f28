package iamfake

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Every action iamfake answers is an operation of the SDK's clients: a
// misspelt action would never be called.
func TestActionsAreSDKOperations(t *testing.T) {
	iamT, stsT := reflect.TypeOf(&iam.Client{}), reflect.TypeOf(&sts.Client{})
	for name := range actions {
		_, inIAM := iamT.MethodByName(name)
		_, inSTS := stsT.MethodByName(name)
		if !inIAM && !inSTS {
			t.Errorf("action %s is not an IAM or STS operation", name)
		}
	}
}
