// Package apply makes an account's SES SMTP senders match a senders file:
// it creates the senders the file lists and the account lacks, rotates
// those whose key is too old or whose regions grew, retires superseded keys
// after their grace period, keeps each sender's From-address scope as the
// file says, and reports (and with Prune deletes) the senders sesprov made
// that the file no longer lists. It reads the account once, in pages, and
// a run with nothing to do makes no change.
package apply

import (
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/provision"
)

// File is a senders file as read: defaults applied, every value checked.
type File struct {
	Name    string   // the file's name as given, for messages
	Senders []Sender // in the file's order
}

// Sender is one sender of the file, with the defaults filled in.
type Sender struct {
	Name string // the IAM user's name
	Line int    // the line of the sender's entry, for messages

	// Regions are the SMTP regions the sender's credentials must work in.
	Regions []derive.Region
	// DeliverTo is where a new key's credentials go; its target may hold
	// {user} (Destination.For expands it).
	DeliverTo deliver.Destination
	// MaxKeyAge: the sender is rotated once its newest active key is older.
	// 0: never for age.
	MaxKeyAge time.Duration
	// Grace keeps a superseded key active this long after the new key was
	// delivered (see provision/rotate). 0: retired at once.
	Grace time.Duration
	// AllowFrom scopes the sender to these From addresses, as
	// scope.ParseAddresses returns them; empty: no scope (one is removed).
	AllowFrom []string
	// Path is the user's IAM path; "/" by default.
	Path string
	// Tags are set on the user (the defaults' merged with the sender's,
	// the sender's winning), sorted by key. Tags the file does not name
	// are left alone.
	Tags []provision.Tag
	// PermissionsBoundary is a managed policy ARN set as the user's
	// boundary; empty: the user's boundary is left as it is.
	PermissionsBoundary string
}
