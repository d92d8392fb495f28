package creds

import (
	"github.com/sesprov/sesprov/derive"
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
