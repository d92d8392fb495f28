package provision

import (
	"context"
	"fmt"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
)

// DeriveCredentials derives the SMTP password of secret for every region.
// The SMTP user name is the access key id.
func DeriveCredentials(user, keyID string, secret redact.Secret, regions []derive.Region) CredentialSet {
	set := CredentialSet{UserName: user, AccessKeyID: keyID, SecretAccessKey: secret}
	for _, r := range regions {
		set.Credentials = append(set.Credentials, RegionCredential{
			Region:       r.Name,
			SMTPEndpoint: r.SMTPEndpoint,
			Password:     redact.NewSecret(derive.Password(secret.Reveal(), r.Name)),
		})
	}
	return set
}

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
