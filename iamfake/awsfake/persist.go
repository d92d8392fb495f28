package awsfake

import (
	"path/filepath"
	"strings"
)

// Paths are the state files of the services. Secrets Manager's and
// SSM's hold secret values in the clear (SecureString parameters too):
// every file is written with mode 0600.
type Paths struct {
	IAM, SecretsManager, SSM, SESv2, Organizations string
}

// StatePaths puts the other services' state files next to IAM's:
// iam.json gives iam.secretsmanager.json, iam.ssm.json, iam.sesv2.json,
// iam.organizations.json.
func StatePaths(iamPath string) Paths {
	ext := filepath.Ext(iamPath)
	base := strings.TrimSuffix(iamPath, ext)
	if ext == "" {
		ext = ".json"
	}
	return Paths{IAM: iamPath, SecretsManager: base + ".secretsmanager" + ext, SSM: base + ".ssm" + ext, SESv2: base + ".sesv2" + ext,
		Organizations: base + ".organizations" + ext}
}

type fileStore interface {
	SaveFile(path string) error
	LoadFile(path string) error
}

type store struct {
	fileStore
	path string
}

func (s *Server) stores(p Paths) []store {
	return []store{{s.IAM, p.IAM}, {s.SecretsManager, p.SecretsManager}, {s.SSM, p.SSM}, {s.SESv2, p.SESv2}, {s.Organizations, p.Organizations}}
}

// SaveFiles saves every service's state, each file atomically.
func (s *Server) SaveFiles(p Paths) error {
	for _, x := range s.stores(p) {
		if err := x.SaveFile(x.path); err != nil {
			return err
		}
	}
	return nil
}

// LoadFiles loads every service's state; a missing file is an empty service.
func (s *Server) LoadFiles(p Paths) error {
	for _, x := range s.stores(p) {
		if err := x.LoadFile(x.path); err != nil {
			return err
		}
	}
	return nil
}
