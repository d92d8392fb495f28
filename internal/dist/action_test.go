package dist

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

type actionFile struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) actionFile {
	t.Helper()
	var a actionFile
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "action.yml")), &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

func actionStepNamed(t *testing.T, a actionFile, name string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", name)
	return actionStep{}
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// TestActionDefinition checks action.yml: a composite action that installs
// this module's sesprov at the version input with go install, refers only to
// inputs it declares, and never puts an input into a script's text (inputs
// reach scripts through env only, so that none is run as shell code).
func TestActionDefinition(t *testing.T) {
	a := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("action.yml: runs.using %q, want composite", a.Runs.Using)
	}
	for _, in := range []string{"version", "args"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("action.yml has no input %q", in)
		}
	}
	if !a.Inputs["args"].Required {
		t.Errorf("action.yml: the args input is not required")
	}
	for _, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("action.yml: step %q puts an expression into its script; pass it through env", s.Name)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("action.yml: step %q has no shell (composite actions require one)", s.Name)
		}
		refs := s.If
		for _, v := range s.Env {
			refs += " " + v
		}
		for _, v := range s.With {
			refs += " " + v
		}
		for _, m := range inputRef.FindAllStringSubmatch(refs, -1) {
			if _, ok := a.Inputs[m[1]]; !ok {
				t.Errorf("action.yml: step %q uses inputs.%s, which is not declared", s.Name, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(s.If, -1) {
			if _, ok := a.Inputs[m[1]]; !ok {
				t.Errorf("action.yml: step %q's if uses inputs.%s, which is not declared", s.Name, m[1])
			}
		}
	}

	module := regexp.MustCompile(`(?m)^module (\S+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))[1]
	install := actionStepNamed(t, a, "install sesprov")
	want := `go install "` + module + `/cmd/sesprov@${SESPROV_VERSION}"`
	if !strings.Contains(install.Run, want) {
		t.Errorf("action.yml: the install step does not run %s:\n%s", want, install.Run)
	}
	if install.Env["SESPROV_VERSION"] != "${{ inputs.version }}" {
		t.Errorf("action.yml: the install step's SESPROV_VERSION is %q, want the version input", install.Env["SESPROV_VERSION"])
	}
	rotate := actionStepNamed(t, a, "sesprov rotate")
	if rotate.Env["SESPROV_ARGS"] != "${{ inputs.args }}" {
		t.Errorf("action.yml: the rotate step's SESPROV_ARGS is %q, want the args input", rotate.Env["SESPROV_ARGS"])
	}
}

// TestActionRotateScript runs the action's rotate step with bash, as a
// runner would, against a stand-in sesprov that records its arguments: the
// args input is split as a command line would be, nothing in it is
// expanded, and exit 1 is retried up to the attempts input while other exit
// codes end the step.
func TestActionRotateScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("xargs"); err != nil {
		t.Skip("xargs is not installed")
	}
	a := loadAction(t)
	script := actionStepNamed(t, a, "sesprov rotate").Run

	run := func(t *testing.T, global, args, attempts string, exitCode string) (calls [][]string, rc int, output string) {
		dir := t.TempDir()
		bin := filepath.Join(dir, "bin")
		if err := os.Mkdir(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		stub := "#!/usr/bin/env bash\n{ printf '%s\\0' \"$@\"; printf '\\n'; } >> \"$CALLS\"\nexit \"$STUB_EXIT\"\n"
		if err := os.WriteFile(filepath.Join(bin, "sesprov"), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "github-output")
		cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"RUNNER_TEMP="+dir, "GITHUB_OUTPUT="+out, "CALLS="+filepath.Join(dir, "calls"),
			"STUB_EXIT="+exitCode,
			"SESPROV_ARGS="+args, "SESPROV_GLOBAL_ARGS="+global,
			"SESPROV_ATTEMPTS="+attempts, "SESPROV_RETRY_WAIT=0",
			"HOME="+dir)
		combined, err := cmd.CombinedOutput()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				rc = ee.ExitCode()
			} else {
				t.Fatal(err)
			}
		}
		raw, _ := os.ReadFile(filepath.Join(dir, "calls"))
		for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			if line == "" {
				continue
			}
			calls = append(calls, strings.Split(strings.TrimSuffix(line, "\x00"), "\x00"))
		}
		o, _ := os.ReadFile(out)
		return calls, rc, string(o) + string(combined)
	}

	t.Run("args", func(t *testing.T) {
		calls, rc, out := run(t, "-o json", "--all --older-than 90d --grace 24h\n--deliver-to 'secretsmanager:ses/{user}' --note \"a b\" $HOME `id` *", "1", "0")
		want := []string{"-o", "json", "rotate", "--all", "--older-than", "90d", "--grace", "24h", "--deliver-to", "secretsmanager:ses/{user}", "--note", "a b", "$HOME", "`id`", "*"}
		if rc != 0 || len(calls) != 1 || !slices.Equal(calls[0], want) {
			t.Errorf("rc %d, calls %q; want one call %q\n%s", rc, calls, want, out)
		}
		if !strings.Contains(out, "exit-code=0") {
			t.Errorf("no exit-code=0 output:\n%s", out)
		}
	})
	t.Run("no global args", func(t *testing.T) {
		calls, rc, out := run(t, "", "--user-name app-mailer", "1", "0")
		if rc != 0 || len(calls) != 1 || !slices.Equal(calls[0], []string{"rotate", "--user-name", "app-mailer"}) {
			t.Errorf("rc %d, calls %q\n%s", rc, calls, out)
		}
	})
	t.Run("unbalanced quote", func(t *testing.T) {
		calls, rc, out := run(t, "", "--deliver-to 'secretsmanager:ses/{user}", "1", "0")
		if rc == 0 || len(calls) != 0 {
			t.Errorf("an unbalanced quote ran sesprov (rc %d, calls %q)\n%s", rc, calls, out)
		}
	})
	t.Run("retry exit 1", func(t *testing.T) {
		calls, rc, out := run(t, "", "--user-name app-mailer", "3", "1")
		if rc != 1 || len(calls) != 3 || !strings.Contains(out, "exit-code=1") {
			t.Errorf("rc %d after %d calls, want 1 after 3\n%s", rc, len(calls), out)
		}
	})
	t.Run("no retry exit 3", func(t *testing.T) {
		calls, rc, out := run(t, "", "--user-name app-mailer", "3", "3")
		if rc != 3 || len(calls) != 1 || !strings.Contains(out, "exit-code=3") {
			t.Errorf("rc %d after %d calls, want 3 after 1\n%s", rc, len(calls), out)
		}
	})
}

// TestExampleWorkflow checks docs/examples/rotate-ses-smtp.yml: a daily
// schedule, an OIDC token, AWS credentials configured before the sesprov
// action runs, and only inputs the action declares.
func TestExampleWorkflow(t *testing.T) {
	var wf struct {
		On struct {
			Schedule []struct {
				Cron string `yaml:"cron"`
			} `yaml:"schedule"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Steps []actionStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "docs/examples/rotate-ses-smtp.yml")), &wf); err != nil {
		t.Fatalf("docs/examples/rotate-ses-smtp.yml: %v", err)
	}
	if len(wf.On.Schedule) != 1 {
		t.Fatalf("the example has %d schedules, want 1", len(wf.On.Schedule))
	}
	cron := strings.Fields(wf.On.Schedule[0].Cron)
	if len(cron) != 5 || cron[2] != "*" || cron[3] != "*" || cron[4] != "*" {
		t.Errorf("the example's cron %q is not daily", wf.On.Schedule[0].Cron)
	}
	if wf.Permissions["id-token"] != "write" {
		t.Errorf("the example's permissions %v lack id-token: write (OIDC)", wf.Permissions)
	}
	a := loadAction(t)
	found := false
	for name, job := range wf.Jobs {
		configured := false
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				configured = true
			}
			if !strings.HasPrefix(s.Uses, "sesprov/sesprov@") {
				continue
			}
			found = true
			if !configured {
				t.Errorf("job %s: the sesprov action runs before aws-actions/configure-aws-credentials", name)
			}
			for k := range s.With {
				if _, ok := a.Inputs[k]; !ok {
					t.Errorf("job %s: the sesprov action has no input %q", name, k)
				}
			}
			for k, in := range a.Inputs {
				if in.Required && s.With[k] == "" {
					t.Errorf("job %s: the sesprov action's required input %q is not given", name, k)
				}
			}
		}
	}
	if !found {
		t.Errorf("the example does not use the sesprov action (sesprov/sesprov@…)")
	}
}

// applyWorkflow is what TestApplyExampleWorkflow reads of
// docs/examples/apply-senders.yml.
type applyWorkflow struct {
	On struct {
		PullRequest *struct{} `yaml:"pull_request"`
		Push        struct {
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
		Schedule []struct {
			Cron string `yaml:"cron"`
		} `yaml:"schedule"`
	} `yaml:"on"`
	Jobs map[string]struct {
		If          string            `yaml:"if"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress *bool  `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"jobs"`
}

// sesprovApplyLines are the lines of a run script that call sesprov apply.
func sesprovApplyLines(run string) []string {
	var out []string
	for _, line := range strings.Split(run, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "sesprov" && slices.Contains(f, "apply") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// manFlags are the flags docs/sesprov.1 documents for apply and globally.
func manFlags(t *testing.T) map[string]bool {
	t.Helper()
	man := readRepoFile(t, "docs/sesprov.1")
	start, end := strings.Index(man, ".SS apply\n"), strings.Index(man, ".SS delete-user\n")
	global := strings.Index(man, ".SH GLOBAL OPTIONS")
	if start < 0 || end < start || global < 0 {
		t.Fatal("docs/sesprov.1 has no apply section or no global options")
	}
	flags := map[string]bool{}
	re := regexp.MustCompile(`\\fB(-{1,2}[a-z-]+)\\fP`)
	for _, part := range []string{man[global:strings.Index(man, ".SH COMMANDS")], man[start:end]} {
		for _, m := range re.FindAllStringSubmatch(part, -1) {
			flags[m[1]] = true
		}
	}
	return flags
}

// TestApplyExampleWorkflow checks docs/examples/apply-senders.yml, the
// workflow of docs/senders-as-code.md: a plan (--dry-run) on pull requests
// and nothing else there, an apply on pushes to main and daily in a job of
// its own that never overlaps another (a concurrency group that does not
// cancel), AWS credentials from OIDC before any sesprov call that needs
// them, sesprov installed from this module, only flags apply has, and the
// page showing the file as it is.
func TestApplyExampleWorkflow(t *testing.T) {
	const name = "docs/examples/apply-senders.yml"
	text := readRepoFile(t, name)
	var wf applyWorkflow
	if err := yaml.Unmarshal([]byte(text), &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if wf.On.PullRequest == nil || !slices.Contains(wf.On.Push.Branches, "main") {
		t.Errorf("%s must run on pull_request and on push to main", name)
	}
	if len(wf.On.Schedule) != 1 {
		t.Fatalf("%s has %d schedules, want 1 (daily: the rotation schedule)", name, len(wf.On.Schedule))
	}
	if cron := strings.Fields(wf.On.Schedule[0].Cron); len(cron) != 5 || cron[2] != "*" || cron[3] != "*" || cron[4] != "*" {
		t.Errorf("%s: cron %q is not daily", name, wf.On.Schedule[0].Cron)
	}
	flags := manFlags(t)
	var plans, applies int
	for jname, job := range wf.Jobs {
		onPR := job.If != "github.event_name != 'pull_request'"
		if onPR && job.If != "github.event_name == 'pull_request'" {
			t.Errorf("job %s: if %q: a job runs either on pull requests only or never on them", jname, job.If)
		}
		configured := false
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				configured = true
				if job.Permissions["id-token"] != "write" {
					t.Errorf("job %s: permissions %v lack id-token: write (OIDC)", jname, job.Permissions)
				}
			}
			if strings.Contains(s.Run, "go install") && !strings.Contains(s.Run, "github.com/sesprov/sesprov/cmd/sesprov@") {
				t.Errorf("job %s: go install of something else than github.com/sesprov/sesprov/cmd/sesprov", jname)
			}
			for _, line := range sesprovApplyLines(s.Run) {
				words := strings.Fields(line)
				for _, w := range words {
					if f, _, _ := strings.Cut(w, "="); strings.HasPrefix(f, "-") && !flags[f] {
						t.Errorf("job %s: %q: sesprov apply has no flag %s (docs/sesprov.1)", jname, line, f)
					}
				}
				dry, sandbox := slices.Contains(words, "--dry-run"), slices.Contains(words, "--sandbox")
				switch {
				case onPR && !dry:
					t.Errorf("job %s runs on pull requests and applies: %q (plans only there: --dry-run)", jname, line)
				case !sandbox && !configured:
					t.Errorf("job %s: %q runs before aws-actions/configure-aws-credentials", jname, line)
				case onPR && !sandbox:
					plans++
				case !dry:
					applies++
					if job.Concurrency.Group == "" || job.Concurrency.CancelInProgress == nil || *job.Concurrency.CancelInProgress {
						t.Errorf("job %s applies without a concurrency group that waits (cancel-in-progress: false)", jname)
					}
				}
			}
		}
	}
	if plans == 0 || applies == 0 {
		t.Errorf("%s has %d plan and %d apply steps, want both", name, plans, applies)
	}
	if !strings.Contains(readRepoFile(t, "docs/senders-as-code.md"), "```yaml\n"+text+"```\n") {
		t.Errorf("docs/senders-as-code.md does not show %s as it is: copy the file into the page", name)
	}
}
