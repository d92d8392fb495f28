package provision

import "fmt"

// NoticeLevel says how a person should read a notice.
type NoticeLevel int

const (
	// NoticeInfo is what was done, worth knowing.
	NoticeInfo NoticeLevel = iota
	// NoticeWarning is something the person may need to act on.
	NoticeWarning
)

// Notice is what a workflow tells the person running it besides its result.
// Workflows never write to stdout or stderr: they return results and send
// notices, and the command line renders both.
type Notice struct {
	Level NoticeLevel
	User  string // the user it concerns, or ""
	Text  string // never holds a secret
}

// Notices receives a workflow's notices. It is called from the workflow's
// goroutines, so it must be safe for concurrent use. A nil Notices discards.
type Notices func(Notice)

// Warn sends a warning about user ("" for none).
func (n Notices) Warn(user, format string, args ...any) {
	n.send(Notice{Level: NoticeWarning, User: user, Text: fmt.Sprintf(format, args...)})
}

// Info sends what was done about user ("" for none).
func (n Notices) Info(user, format string, args ...any) {
	n.send(Notice{Level: NoticeInfo, User: user, Text: fmt.Sprintf(format, args...)})
}

func (n Notices) send(x Notice) {
	if n != nil {
		n(x)
	}
}
