package deliver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
)

// The secret stores' kinds: the credentials are one secret (or parameter)
// per user, holding the JSON object -o json prints.
const (
	KindSecretsManager Kind = "secretsmanager"
	KindSSM            Kind = "ssm"
)

// CreatedByTag marks a secret sesprov created, so an operator (and IAM
// policies with aws:ResourceTag conditions) can tell it apart.
const (
	CreatedByTagKey   = "sesprov:created-by"
	CreatedByTagValue = "sesprov"
)

// StoreOptions say how the secret stores are reached.
type StoreOptions struct {
	KMSKeyID string // --kms-key-id: the customer managed key; empty is the service's AWS managed key
	// Connect returns the store clients; it is called once, at the first
	// delivery to a store, after the run's AWS clients exist.
	Connect func(ctx context.Context) (Stores, error)
}

// IsStore reports whether k is a secret store.
func (k Kind) IsStore() bool { return k == KindSecretsManager || k == KindSSM }

var (
	secretNameOK = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	paramNameOK  = regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)
)

// maxParamName is Parameter Store's limit on a name (2048 for the ARN,
// of which 1011 are left for the name itself).
const maxParamName = 1011

// checkStoreName applies the store's naming rules to name, so that a
// name the store would refuse stops the run before any IAM change.
func checkStoreName(flag string, kind Kind, name string) error {
	switch kind {
	case KindSecretsManager:
		if !secretNameOK.MatchString(name) {
			return fail.Usagef("%s %s: %q is not a Secrets Manager secret name: 1 to 512 letters, digits and /_+=.@- only", flag, kind, name)
		}
	case KindSSM:
		return checkParamName(flag, name)
	}
	return nil
}

// checkParamName holds name to Parameter Store's rules: letters, digits
// and _.-/; a hierarchy starts with / and has at most 15 levels and no
// empty level; no name starts with aws or ssm (any case).
func checkParamName(flag, name string) error {
	bad := func(why string) error {
		return fail.Usagef("%s ssm: %q is not a Parameter Store name: %s", flag, name, why)
	}
	if len(name) > maxParamName {
		return bad(fmt.Sprintf("at most %d characters", maxParamName))
	}
	if !paramNameOK.MatchString(name) {
		return bad("letters, digits and _.-/ only")
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return bad("a name with / is a path and must start with /, e.g. /ses/{user}")
	}
	levels := strings.Split(strings.TrimPrefix(name, "/"), "/")
	if len(levels) > 15 {
		return bad("at most 15 levels")
	}
	for _, l := range levels {
		if l == "" {
			return bad("a level between slashes is empty")
		}
	}
	if first := strings.ToLower(levels[0]); strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return bad("names starting with aws or ssm are reserved")
	}
	return nil
}

// checkStore refuses a store destination that cannot take users'
// credentials: several users and no {user}, or a name the store refuses.
// Without users (not known yet), the name is checked with {user} standing
// for a plain name.
func (d Destination) checkStore(users []string) error {
	if len(users) > 1 && !strings.Contains(d.Target, UserPlaceholder) {
		return fail.Usagef("%s %s:%s: a run of %d users stores each user's credentials separately: put %s in the name, e.g. %s:ses/%s", d.flag(), d.Kind, d.Target, len(users), UserPlaceholder, d.Kind, UserPlaceholder)
	}
	if len(users) == 0 {
		return checkStoreName(d.flag(), d.Kind, d.For("user").Target)
	}
	for _, u := range users {
		if err := checkStoreName(d.flag(), d.Kind, d.For(u).Target); err != nil {
			return err
		}
	}
	return nil
}

// RequestToken is the ClientRequestToken of the secret version that holds
// the credentials of access key keyID: the same for every retry of the
// write, so a retry whose first attempt acted (its answer lost) finds that
// version instead of making a second one. Secrets Manager wants 32 to 64
// characters; the key ID is kept readable in it when it fits.
func RequestToken(keyID string) string {
	t := "sesprov-" + keyID
	sum := sha256.Sum256([]byte(keyID))
	h := hex.EncodeToString(sum[:])
	switch {
	case len(t) > 64:
		return h
	case len(t) < 32:
		return t + "-" + h[:32-len(t)-1]
	}
	return t
}

// stored is what a store said about a write: the version it made.
type stored struct {
	Version string
}

// toSecretsManager writes value as a new AWSCURRENT version of the
// secret name (PutSecretValue), creating the secret (tagged as sesprov's)
// when it does not exist yet. A write that failed may still have acted
// (its answer lost, every retry too): the secret's versions then say
// whether the one of this key became AWSCURRENT, and if it did the
// credentials were delivered — deleting their key would leave the store
// holding a dead key.
func toSecretsManager(ctx context.Context, api SecretsManager, name, keyID, kmsKeyID string, value []byte) (stored, error) {
	token := RequestToken(keyID)
	st, err := writeSecret(ctx, api, name, token, kmsKeyID, value)
	if err == nil {
		return st, nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	if current(cctx, api, name, token) {
		return stored{Version: token}, nil
	}
	return stored{}, err
}

func writeSecret(ctx context.Context, api SecretsManager, name, token, kmsKeyID string, value []byte) (stored, error) {
	put := func() (stored, error) {
		out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(name), ClientRequestToken: aws.String(token), SecretString: aws.String(string(value))})
		if err != nil {
			return stored{}, fmt.Errorf("Secrets Manager PutSecretValue %s: %w", name, err)
		}
		return stored{Version: aws.ToString(out.VersionId)}, nil
	}
	st, err := put()
	if err == nil || !iamapi.HasCode(err, "ResourceNotFoundException") {
		return st, err
	}
	in := &secretsmanager.CreateSecretInput{
		Name: aws.String(name), ClientRequestToken: aws.String(token), SecretString: aws.String(string(value)),
		Description: aws.String("SES SMTP credentials made by sesprov"),
		Tags:        []smtypes.Tag{{Key: aws.String(CreatedByTagKey), Value: aws.String(CreatedByTagValue)}},
	}
	if kmsKeyID != "" {
		in.KmsKeyId = aws.String(kmsKeyID)
	}
	created, err := api.CreateSecret(ctx, in)
	if iamapi.HasCode(err, "ResourceExistsException") {
		return put() // made meanwhile by another run: a new version of it, then
	}
	if err != nil {
		return stored{}, fmt.Errorf("Secrets Manager CreateSecret %s: %w", name, err)
	}
	return stored{Version: aws.ToString(created.VersionId)}, nil
}

// current reports whether the version made with token is the secret's
// AWSCURRENT one. DescribeSecret shows version IDs and stages, not values.
func current(ctx context.Context, api SecretsManager, name, token string) bool {
	out, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		return false
	}
	return slices.Contains(out.VersionIdsToStages[token], "AWSCURRENT")
}

// toSSM writes value as a SecureString parameter, replacing what it held.
// The parameter's description names the key, so that after a failed write
// (its answer lost, every retry too) DescribeParameters, which shows no
// value, tells whether it acted: if it did, the credentials were delivered.
func toSSM(ctx context.Context, api SSM, name, keyID, kmsKeyID string, value []byte) (stored, error) {
	desc := ssmDescription(keyID)
	in := &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(string(value)),
		Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		Description: aws.String(desc),
	}
	if kmsKeyID != "" {
		in.KeyId = aws.String(kmsKeyID)
	}
	out, err := api.PutParameter(ctx, in)
	if err == nil {
		return stored{Version: fmt.Sprint(out.Version)}, nil
	}
	err = fmt.Errorf("SSM PutParameter %s: %w", name, err)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	d, derr := api.DescribeParameters(cctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}}})
	if derr == nil && len(d.Parameters) == 1 && aws.ToString(d.Parameters[0].Description) == desc {
		return stored{Version: fmt.Sprint(d.Parameters[0].Version)}, nil
	}
	return stored{}, err
}

// ssmDescription is the description of a parameter holding keyID's
// credentials.
func ssmDescription(keyID string) string {
	return "SES SMTP credentials of access key " + keyID + ", made by sesprov"
}

// storeValue is the one JSON object of set, as -o json prints it, without
// the line's newline.
func storeValue(buf *bytes.Buffer) []byte {
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// toStore writes set to its user's secret or parameter and says so on
// stdout, with no secret in the line.
func (d *Deliverer) toStore(ctx context.Context, set creds.CredentialSet) error {
	dest := d.dest.For(set.UserName)
	if err := checkStoreName(d.dest.flag(), dest.Kind, dest.Target); err != nil {
		return err
	}
	stores, err := d.storeClients(ctx)
	if err != nil {
		return err
	}
	buf, err := d.renderJSON(set)
	if err != nil {
		return err
	}
	defer wipe(buf)
	var st stored
	if dest.Kind == KindSecretsManager {
		st, err = toSecretsManager(ctx, stores.SecretsManager, dest.Target, set.AccessKeyID, d.opts.Store.KMSKeyID, storeValue(buf))
	} else {
		st, err = toSSM(ctx, stores.SSM, dest.Target, set.AccessKeyID, d.opts.Store.KMSKeyID, storeValue(buf))
	}
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.delivered++
	d.lastStore = dest
	d.statusLine(set, dest, st)
	return nil
}

// LastStore is the secret or parameter written last ({user} expanded), for
// a run's closing line; the zero Destination when none was.
func (d *Deliverer) LastStore() Destination {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastStore
}

// storeClients connects to the stores once a run.
func (d *Deliverer) storeClients(ctx context.Context) (Stores, error) {
	d.connect.Do(func() {
		if d.opts.Store.Connect == nil {
			d.connErr = fmt.Errorf("%s: no secret store client", d.dest.flag())
			return
		}
		d.stores, d.connErr = d.opts.Store.Connect(ctx)
	})
	return d.stores, d.connErr
}

// renderJSON writes set alone as -o json prints it, whatever the run's
// output format: a store holds JSON.
func (d *Deliverer) renderJSON(set creds.CredentialSet) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	w := creds.NewCredentialWriter(&buf, output.FormatJSON, d.opts.IncludeSecretKey)
	err := w.Write(set)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		wipe(&buf)
		return nil, err
	}
	return &buf, nil
}

// storeStatus is the line stdout shows for a user whose credentials went
// to a store: where, and which version, never a secret.
type storeStatus struct {
	UserName    string `json:"user_name"`
	AccessKeyID string `json:"access_key_id"`
	Status      string `json:"status"`
	Destination string `json:"destination"`
	Version     string `json:"version,omitempty"`
}

func (d *Deliverer) statusLine(set creds.CredentialSet, dest Destination, st stored) {
	if d.opts.Stdout == nil || d.gone {
		return
	}
	line := storeStatus{set.UserName, set.AccessKeyID, "delivered", dest.String(), st.Version}
	var b []byte
	if d.opts.Format == output.FormatJSON {
		b, _ = json.Marshal(line)
		b = append(b, '\n')
	} else {
		b = fmt.Appendf(nil, "%s\t%s\tdelivered to %s (version %s)\n", line.UserName, line.AccessKeyID, line.Destination, line.Version)
	}
	if _, err := d.opts.Stdout.Write(b); err != nil && errors.Is(err, syscall.EPIPE) {
		d.gone = true // the credentials are stored: only the status line is lost
	}
}

// Foreign reports, for user's secret or parameter, a store entry that
// exists and that sesprov did not write: a Secrets Manager secret without
// sesprov's tag, or an SSM parameter whose description is not sesprov's. A
// delivery would replace its value (a new AWSCURRENT version, or an
// overwritten parameter), so a caller that plans can say so first. "" when
// the entry does not exist, is sesprov's, or the destination is no store.
// It only reads (secretsmanager:DescribeSecret, ssm:DescribeParameters).
func (d *Deliverer) Foreign(ctx context.Context, user string) (string, error) {
	dest := d.dest.For(user)
	if !dest.Kind.IsStore() {
		return "", nil
	}
	stores, err := d.storeClients(ctx)
	if err != nil {
		return "", err
	}
	if dest.Kind == KindSecretsManager {
		out, err := stores.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(dest.Target)})
		switch {
		case iamapi.HasCode(err, "ResourceNotFoundException"):
			return "", nil
		case err != nil:
			return "", fmt.Errorf("secretsmanager:DescribeSecret %s: %w", dest.Target, err)
		}
		for _, t := range out.Tags {
			if aws.ToString(t.Key) == CreatedByTagKey && aws.ToString(t.Value) == CreatedByTagValue {
				return "", nil // sesprov made it
			}
		}
		for id, stages := range out.VersionIdsToStages {
			if strings.HasPrefix(id, "sesprov-") && slices.Contains(stages, "AWSCURRENT") {
				return "", nil // sesprov wrote its current value
			}
		}
		return fmt.Sprintf("secret %s exists and sesprov did not write its current value (no tag %s=%s): a new version will replace it", dest.Target, CreatedByTagKey, CreatedByTagValue), nil
	}
	out, err := stores.SSM.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{dest.Target}}}})
	if err != nil {
		return "", fmt.Errorf("ssm:DescribeParameters %s: %w", dest.Target, err)
	}
	if len(out.Parameters) == 0 || strings.HasSuffix(aws.ToString(out.Parameters[0].Description), ", made by sesprov") {
		return "", nil
	}
	return fmt.Sprintf("parameter %s exists and was not written by sesprov: its value will be overwritten", dest.Target), nil
}
