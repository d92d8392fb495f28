package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/smtpauth"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/sesprov/sesprov/provision/verify"
	"github.com/urfave/cli/v2"
)

func createRotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "replace SMTP users' access keys and passwords; retire the old key after delivery",
		ArgsUsage: " ",
		Description: "Makes a new access key, derives its SMTP password for every region given,\n" +
			"delivers them (see below), and only then retires the old key: deactivated\n" +
			"(default), deleted, or kept active.\n\n" +
			"IAM allows two keys per user: an inactive key is deleted to make room; two active\n" +
			"keys is a conflict (exit 3) and nothing changes: sesprov never guesses which one is\n" +
			"in use. A rotation cut short and run again finishes the job without a third key:\n" +
			"its progress is kept in the user tag sesprov:rotation (see docs/design.md). Run one\n" +
			"rotation per user at a time: a run that finds another's fresh record (younger than\n" +
			"--stale-after) leaves it alone and exits 1.\n\n" +
			"Without --regions, rotate derives passwords for the regions recorded on the user\n" +
			"(tag sesprov:regions, written by create-user, convert and every rotation); a\n" +
			"--regions that leaves out a recorded region is warned about on stderr.\n\n" +
			"Many users: --all (every SMTP user 'sesprov list' shows) or --from FILE (one name\n" +
			"per line), --concurrency at a time. With --older-than 90d only users whose newest\n" +
			"active key is older are rotated. stdout has one JSON line per user (-o table: a\n" +
			"table) with \"status\": rotated, retired (a superseded key retired, no new key),\n" +
			"waiting (in its grace period), fresh (nothing due), conflict or failed; stderr a\n" +
			"summary. Exit 0, 1 if any user failed, 3 if any is in conflict and none failed.\n" +
			"One user's failure never stops the others. A fleet needs a destination, with\n" +
			"{user} for a command or a secret store (the daily recipe in docs/operations.md:\n" +
			"rotate --all --older-than 90d --grace 24h --deliver-to 'secretsmanager:ses/{user}').\n\n" +
			"--grace 24h keeps the old key active for 24 h after delivery (the time is kept in\n" +
			"the tag sesprov:rotation); a later run retires it without a new key, unless IAM\n" +
			"reports it used after the senders should have switched (GetAccessKeyLastUsed, which\n" +
			"lags up to 4 h): then the user is a conflict naming when, where and by what. --force\n" +
			"retires it anyway. docs/operations.md has the timeline.\n\n" +
			"Exit codes (one user): 0 rotated (or an interrupted rotation finished: then nothing new is\n" +
			"printed), 1 an IAM call or the delivery failed, or another rotation is running (run again), 2 bad input (nothing changed), 3 a\n" +
			"conflict that needs you (two active keys; not an SMTP user), 130 interrupted (143 by\n" +
			"SIGTERM).\n\n" +
			"Delivery is what the old key waits for: stdout (for a person), --out-file (fsynced),\n" +
			"or --deliver-cmd (a store command fed on stdin; delivered only if it exits 0). From\n" +
			"a scheduler, never pipe stdout into a store: sesprov cannot see the store fail.\n" +
			"--deliver-cmd must exit non-zero only if nothing was stored: on failure sesprov\n" +
			"deletes the new key, so storing must be its last step; restart or reload what uses\n" +
			"the credentials after sesprov exits 0. A stdout that is /dev/null is refused (exit 2).\n\n" +
			"Examples (docs/operations.md has cron, systemd, Kubernetes and CI recipes):\n" +

			"   sesprov rotate --user-name app-mailer --regions us-east-1,eu-west-1 --dry-run\n" +
			"   sesprov -o json rotate --user-name app-mailer --regions eu-west-1 --verify \\\n" +
			"       --deliver-cmd 'gh secret set SES_SMTP_CREDENTIALS --repo my-org/mailer'\n" +
			"   sesprov rotate --all --older-than 90d --grace 24h --deliver-to 'file:ses-{user}.json'",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: flgUserName, Usage: "the SMTP `USER` whose key is replaced (or --from, --all)"},
			&cli.StringFlag{Name: flgOldKey, Value: string(rotate.OldKeyDeactivate), Usage: "what to do with the old key after delivery: `deactivate`, delete or keep"},
			&cli.BoolFlag{Name: flgIncludeSecretKey, Usage: "also print the secret access key (it is not needed for SMTP)"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print the plan; change nothing"},
			&cli.DurationFlag{Name: flgStaleAfter, Value: rotate.DefaultStaleAfter, Usage: "a rotation recorded as started less than `DURATION` ago may still be running: leave it alone (exit 1); after that, take it over. 0 takes over at once"},
			&cli.BoolFlag{Name: flgForce, Usage: "rotate a user that is not an SMTP user (not in the sending group, no SES inline policy, not made by sesprov or the console)"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` whose members count as SMTP users"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the SES inline policy of legacy console users"},
			&cli.BoolFlag{Name: flgVerify, Usage: "log in to SES SMTP with the new password in every region (no mail is sent) before delivering it; on rejection the new key is deleted and the old one is untouched"},
			&cli.DurationFlag{Name: flgWait, Value: defaultRotateVerifyWait, Usage: "with --verify: retry a rejected login for up to `DURATION` (a new key takes a while to reach SES)"},
			&cli.StringFlag{Name: flgSMTPEndpoint, Usage: "with --verify: log in at `HOST:PORT` instead of SES's endpoint (a relay, a test server)"},
			&cli.IntFlag{Name: flgPort, Value: verify.DefaultSMTPPort, Usage: "with --verify: SES SMTP `PORT`: 25, 587, 2587 (STARTTLS) or 465, 2465 (TLS)"},
			&cli.DurationFlag{Name: flgTimeout, Value: smtpauth.DefaultTimeout, Usage: "with --verify: `DURATION` allowed for connecting and for each SMTP command"},
			&cli.StringFlag{Name: flgCAFile, Usage: "with --verify: also trust the root certificates in PEM `FILE`"},
			&cli.StringFlag{Name: flgVerifyFrom, Usage: "with --verify: after the login, send one message as `ADDR` to " + verify.SimulatorSuccess + " in every region; a refused message fails the check like a refused login"},
		}, append(rotateFleetFlags(), deliverFlags()...)...), regionFlags()...),
		Action: rotateAction,
	}
}

func rotateAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("rotate takes no arguments (got %q): pass --%s NAME --%s R1,R2", c.Args().First(), flgUserName, flgRegions)
	}
	names, all, fleet, err := rotateUsers(c)
	if err != nil {
		return err
	}
	in, err := rotateOptions(c, names)
	if err != nil {
		return err
	}
	verify, err := rotateVerifier(c)
	if err != nil {
		return err
	}
	dest, err := destinationOf(c)
	if err != nil {
		return err
	}
	if fleet {
		return rotateFleet(c, in, names, all, verify, dest)
	}

	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	plan, err := rotate.Plan(c.Context, clients.IAM, in)
	if err != nil {
		return rotateRegionHint(c, in, err)
	}

	var d *deliver.Deliverer
	if plan.Delivers() {
		if d, err = openRotateDeliverer(c, dest, in.UserName, in.DryRun); err != nil {
			return err
		}
		defer d.Close() // a file is kept only if it holds the delivered credentials
	}
	deliverSet := func(ctx context.Context, set creds.CredentialSet) error { return d.Deliver(ctx, set) }

	res, err := plan.Execute(c.Context, clients.IAM, deliverSet, verify)
	if err != nil {
		return err
	}
	where := ""
	if dest.Kind != deliver.KindStdout {
		where = dest.For(in.UserName).String()
	}
	return renderRotation(g, res, where)
}

// rotateOptions binds rotate's flags (all but the destination's) into
// rotate.Options; bad input is a usage error.
func rotateOptions(c *cli.Context, names []string) (rotate.Options, error) {
	g := globalsOf(c)
	user := ""
	if len(names) == 1 && c.IsSet(flgUserName) {
		user = names[0]
		if user == "" {
			return rotate.Options{}, fail.Usagef("rotate needs --%s NAME", flgUserName)
		}
	}
	if err := provision.ValidateUserName(user); err != nil && user != "" {
		return rotate.Options{}, err
	}
	var regions []derive.Region // none given: the user's recorded regions
	if c.IsSet(flgRegions) {
		rs, err := resolveRegions(c)
		if err != nil {
			return rotate.Options{}, err
		}
		regions = rs
	}
	oldKey, err := rotate.ParseOldKeyAction(c.String(flgOldKey))
	if err != nil {
		return rotate.Options{}, err
	}
	in := rotate.Options{UserName: user, Regions: regions, OldKey: oldKey, DryRun: c.Bool(flgDryRun),
		GroupName: c.String(flgGroup), PolicyName: c.String(flgPolicyName), Force: c.Bool(flgForce),
		StaleAfter: c.Duration(flgStaleAfter), Log: g.Log, Notices: noticesTo(g.Stderr)}
	switch {
	case in.StaleAfter < 0:
		return rotate.Options{}, fail.Usagef("--%s must be 0 or more", flgStaleAfter)
	case in.StaleAfter == 0:
		in.StaleAfter = -1 // take over at once
	}
	return in, rotateTimes(c, &in)
}

// noticesTo renders a workflow's notices on w (stderr), one line each.
func noticesTo(w io.Writer) provision.Notices {
	var mu sync.Mutex
	return func(n provision.Notice) {
		prefix := "sesprov: "
		if n.Level == provision.NoticeWarning {
			prefix += "warning: "
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, prefix+n.Text)
	}
}

// renderRotation prints a dry run's plan on stdout, or the summary on stderr.
func renderRotation(g *globals, res *rotate.Result, dest string) error {
	if res.DryRun {
		return provision.WritePlan(g.Stdout, g.Output, res.Plan)
	}
	fmt.Fprintln(g.Stderr, rotateSummary(res, dest))
	return nil
}

// rotateSummary is the line rotate prints on stderr when it is done.
func rotateSummary(res *rotate.Result, outPath string) string {
	var b strings.Builder
	if len(res.Lost) > 0 {
		fmt.Fprintf(&b, "sesprov: deleted key %s, made by an interrupted rotation whose secret never got out\n", strings.Join(res.Lost, ", "))
	}
	switch {
	case res.Fresh:
		return fmt.Sprintf("sesprov: %s is fresh: its newest active key is younger than --%s; nothing changed", res.UserName, flgOlderThan)
	case res.Waiting && res.Finished:
		return fmt.Sprintf("sesprov: %s: key %s was delivered; the superseded key stays active until %s (--%s): nothing changed", res.UserName, res.NewKeyID, res.WaitUntil.UTC().Format(time.RFC3339), flgGrace)
	case res.Waiting:
		fmt.Fprintf(&b, "sesprov: rotated %s: new key %s delivered", res.UserName, res.NewKeyID)
		if outPath != "" {
			fmt.Fprintf(&b, " to %s", outPath)
		}
		fmt.Fprintf(&b, "; the old key stays active until %s (--%s): run rotate again after that to retire it", res.WaitUntil.UTC().Format(time.RFC3339), flgGrace)
		return b.String()
	}
	if res.Finished && res.GraceEnded {
		fmt.Fprintf(&b, "sesprov: %s: the grace period of key %s is over; no new credentials were made", res.UserName, res.NewKeyID)
	} else if res.Finished {
		fmt.Fprintf(&b, "sesprov: finished an interrupted rotation of %s: key %s (delivered by the earlier run) stays; no new credentials were made", res.UserName, res.NewKeyID)
	} else {
		fmt.Fprintf(&b, "sesprov: rotated %s: new key %s delivered", res.UserName, res.NewKeyID)
		if outPath != "" {
			fmt.Fprintf(&b, " to %s", outPath)
		}
	}
	if len(res.Retired) > 0 {
		fmt.Fprintf(&b, "; old key %s %s", strings.Join(res.Retired, ", "), map[string]string{"deactivate": "deactivated", "delete": "deleted"}[res.OldKey])
	} else if res.OldKey == string(rotate.OldKeyKeep) {
		b.WriteString("; old key kept active (--old-key keep): retire it once unused")
	}
	return b.String()
}

// defaultRotateVerifyWait: AWS's own rotation sample retries the new
// password's login for about 30 s; twice that leaves a margin.
const defaultRotateVerifyWait = 60 * time.Second

// rotateVerifier returns the --verify check, or nil without --verify. The
// verify flags without --verify are a usage error: they would do nothing.
func rotateVerifier(c *cli.Context) (rotate.Verifier, error) {
	if !c.Bool(flgVerify) {
		for _, f := range []string{flgWait, flgSMTPEndpoint, flgPort, flgTimeout, flgCAFile, flgVerifyFrom} {
			if c.IsSet(f) {
				return nil, fail.Usagef("--%s goes with --verify", f)
			}
		}
		return nil, nil
	}
	vin, err := verifyInputOf(c)
	if err != nil {
		return nil, err
	}
	g := globalsOf(c)
	opts := vin.Options
	opts.Regions = nil // every region of the new set
	opts.Log = g.Log
	opts.Notices = userNotices(g.Stderr)
	if from := c.String(flgVerifyFrom); c.IsSet(flgVerifyFrom) {
		opts.SendTest = &verify.SendTest{From: from}
		if err := opts.SendTest.Check(); err != nil {
			return nil, fail.Usagef("--%s: %v", flgVerifyFrom, err)
		}
	}
	return func(ctx context.Context, set creds.CredentialSet) error {
		results, err := verify.Set(ctx, set, opts)
		if err != nil {
			return err
		}
		if verify.AllAccepted(results) {
			return nil
		}
		var bad []string
		for _, r := range results {
			if r.Status == verify.Accepted || r.Status == verify.Sent {
				continue
			}
			why := r.Error
			if r.Status == verify.Rejected || r.Status == verify.Refused {
				why = fmt.Sprintf("%d %s", r.Code, r.Reply)
			}
			if r.Hint != "" {
				why += " (" + r.Hint + ")"
			}
			bad = append(bad, fmt.Sprintf("%s %s at %s: %s", r.Region, r.Status, r.Endpoint, why))
		}
		if opts.SendTest != nil {
			return fmt.Errorf("SMTP did not accept the new password's login and test message: %s", strings.Join(bad, "; "))
		}
		return fmt.Errorf("SMTP AUTH did not accept the new password: %s", strings.Join(bad, "; "))
	}, nil
}

// openRotateDeliverer refuses a stdout that is /dev/null and opens the
// delivery (an --out-file is made now, before the first change).
func openRotateDeliverer(c *cli.Context, dest deliver.Destination, user string, dryRun bool) (*deliver.Deliverer, error) {
	if dest.Kind == deliver.KindStdout && !dryRun {
		if err := refuseNullStdout(globalsOf(c).Stdout, "the new credentials",
			"--"+flgOutFile+" FILE or --"+flgDeliverCmd+" COMMAND"); err != nil {
			return nil, err
		}
	}
	return openDeliverer(c, dest, []string{user}, c.Bool(flgIncludeSecretKey), dryRun)
}

// rotateRegionHint adds, to rotate's "no region" error, that --region (given)
// is the IAM client's region when --regions was meant.
func rotateRegionHint(c *cli.Context, in rotate.Options, err error) error {
	lv := flagLevelsOf(c)
	if len(in.Regions) > 0 || fail.KindOf(err) != fail.KindUsage || !lv.given(flgRegion, envRegion) {
		return err
	}
	return fail.Usagef("%v; --%s %s is the region of the IAM/STS clients; the SMTP regions are --%s", err, flgRegion, lv.String(flgRegion), flgRegions)
}
