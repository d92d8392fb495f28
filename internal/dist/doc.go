// Package dist holds the checks of sesprov's distribution files, which
// cannot run where they are used (a release, a container build, a GitHub
// runner): .goreleaser.yaml, Dockerfile, action.yml and the example
// workflows in docs/examples. Its tests read those files and compare them with the Makefile,
// the one place the build's flags are written down, so that `make test`,
// with only Go, notices when they drift apart.
package dist
