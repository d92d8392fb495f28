//go:build !unix

package iamfaketest

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

func endProcessGroup(cmd *exec.Cmd, kill bool) {
	cmd.Process.Kill()
}
