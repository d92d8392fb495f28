package rotate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// ReportingMargin is how far behind IAM's last-used data may be. AWS
// documents that GetAccessKeyLastUsed is updated within about four hours of
// a use; a use younger than that may not show yet. So the in-use check only
// trusts what is older than this, and the grace period never ends before it.
const ReportingMargin = 4 * time.Hour

// SchedulerSlack lets a scheduled run that fires a little before the grace
// period's exact end still retire: a daily job with --grace 24h fires at the
// same clock time as the run that delivered, a few seconds short of 24 h.
const SchedulerSlack = 10 * time.Minute

// graceEnds is when a superseded key may be retired: the grace period after
// the delivery, and never before IAM has reported the uses since delivery.
func (p *Rotation) graceEnds() time.Time {
	at := p.DeliveredAt
	return maxTime(at.Add(p.grace-SchedulerSlack), at.Add(ReportingMargin))
}

// inUseAfter is the instant after which a use of the superseded key means a
// sender still has the old password. Uses in the first part of the grace
// period are the senders picking the new key up; the last ReportingMargin
// (and the slack) are left out of that part so that a key used without a
// pause still shows a use after this instant when the check runs. For a
// delivery of unknown time (an older record): the last ReportingMargin.
func (p *Rotation) inUseAfter() time.Time {
	if p.DeliveredAt.IsZero() {
		return p.opts.Now().Add(-ReportingMargin)
	}
	return p.DeliveredAt.Add(max(p.grace-ReportingMargin-SchedulerSlack, 0))
}

// decideGrace sets WaitUntil when the delivered key's grace period is not
// over. An older record has no time: its grace is taken as over.
func (p *Rotation) decideGrace() {
	if p.DeliveredAt.IsZero() {
		return
	}
	if end := p.graceEnds(); p.opts.Now().Before(end) {
		p.WaitUntil = end
	}
}

// checkInUse reads each superseded key's last use and refuses (a conflict)
// to retire one used after inUseAfter: something still sends with it.
// Force skips the check.
func (e *execution) checkInUse(ctx context.Context) error {
	if e.inUseChecked {
		return nil // the caller's plan checked a moment ago
	}
	return e.CheckInUse(ctx, e.client)
}

// CheckInUse is the check a run that finishes a delivery makes before it
// retires the superseded keys (see Execute), for a caller that plans: a
// conflict when one was used late in the grace period. It only reads
// (iam:GetAccessKeyLastUsed), and says nothing when no key is to be retired.
func (p *Rotation) CheckInUse(ctx context.Context, client iamapi.IAM) error {
	if p.Finish == "" || !p.WaitUntil.IsZero() || p.grace <= 0 || p.opts.Force || p.opts.OldKey == OldKeyKeep {
		return nil
	}
	after := p.inUseAfter()
	for _, id := range p.superseded {
		out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
		if err != nil {
			return fmt.Errorf("GetAccessKeyLastUsed %s (is the superseded key still in use?): %w; nothing was retired, %s", id, err, p.opts.rerun())
		}
		lu := out.AccessKeyLastUsed
		if lu == nil || lu.LastUsedDate == nil || !aws.ToTime(lu.LastUsedDate).After(after) {
			continue
		}
		return fail.Conflictf("user %s: superseded key %s was used at %s in region %s by service %s, after %s (the new key %s was delivered %s): something still sends with the old password, so it stays active. Point that sender at the new credentials and %s, or pass --force to retire it anyway",
			p.UserName, id, aws.ToTime(lu.LastUsedDate).UTC().Format(time.RFC3339), aws.ToString(lu.Region), aws.ToString(lu.ServiceName),
			after.UTC().Format(time.RFC3339), p.Finish, deliveredText(p.DeliveredAt), p.opts.rerun())
	}
	p.inUseChecked = true // passed: Execute need not read again
	return nil
}

func deliveredText(at time.Time) string {
	if at.IsZero() {
		return "at an unrecorded time"
	}
	return "at " + at.UTC().Format(time.RFC3339)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
