package main

import (
	"os/exec"
	"testing"
)

func TestInterruptedAt(t *testing.T) {
	for in, want := range map[string]string{
		"context canceled: iam:CreateUser mailer: operation error IAM: CreateUser, https response error StatusCode: 0, RequestID: , canceled, context canceled": "iam:CreateUser mailer",
		"iam:CreateAccessKey for user mailer: context canceled":                                        "iam:CreateAccessKey for user mailer",
		"iam:CreateAccessKey for user mailer: context canceled (the key IAM made, AKIAX, was deleted)": "iam:CreateAccessKey for user mailer (the key IAM made, AKIAX, was deleted)",
		"interrupted after delivering key AKIAN (context canceled): run rotate again":                  "interrupted after delivering key AKIAN: run rotate again",
		"interrupted after iam:CreateAccessKey: key AKIA… of user x was deleted; run again":            "interrupted after iam:CreateAccessKey: key AKIA… of user x was deleted; run again",
	} {
		if got := interruptedAt(in); got != want {
			t.Errorf("interruptedAt(%q) = %q, want %q", in, got, want)
		}
	}
}

// The command line to run again reads back, through a shell, as the same
// arguments.
func TestShellQuoteArgs(t *testing.T) {
	args := []string{"sesprov", "create-user", "--tag", "team=mail ops", "--path", "/smtp/", "--tag", "it's", ""}
	line := shellQuoteArgs(args)
	if line != `sesprov create-user --tag 'team=mail ops' --path /smtp/ --tag 'it'\''s' ''` {
		t.Errorf("shellQuoteArgs = %s", line)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to read the line back")
	}
	got, err := exec.Command(sh, "-c", `f() { for a in "$@"; do printf '[%s]' "$a"; done; }; f `+line).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, a := range args {
		want += "[" + a + "]"
	}
	if string(got) != want {
		t.Errorf("the shell reads back %s, want %s", got, want)
	}
}
