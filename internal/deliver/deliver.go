// Package deliver hands new credentials to the one place the user chose, and
// deletes the new key when they could not be delivered.
package deliver

import (
	"context"
	"fmt"

	"github.com/sesprov/sesprov/internal/iamapi"
)

// DeliverOrRollback runs deliver, which hands a new key's credentials to
// their destination. If the run was interrupted before delivery, or deliver
// fails, the key is deleted (with a fresh short context): a key whose secret
// went nowhere must not be left behind. The error says what happened to the
// key and what to run next.
func DeliverOrRollback(ctx context.Context, api iamapi.IAM, user, keyID string, deliver func() error) error {
	err := ctx.Err()
	if err == nil {
		err = deliver()
		if err == nil {
			return nil
		}
		err = fmt.Errorf("deliver the credentials of user %s: %w", user, err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	if derr := iamapi.DeleteAccessKey(cctx, api, user, keyID); derr != nil {
		return fmt.Errorf("%w; the new access key %s could not be deleted (%w): its secret was not delivered, delete it with 'aws iam delete-access-key --user-name %s --access-key-id %s' and run the command again", err, keyID, derr, user, keyID)
	}
	return fmt.Errorf("%w; the new access key %s was deleted, nothing is lost: run the same command again", err, keyID)
}
