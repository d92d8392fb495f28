package main

import (
	"testing"

	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/list"
)

// list paces its calls for AWS only: a local endpoint has no throttling to
// spare, unless --rate is given.
func TestListRateUnpacedLocally(t *testing.T) {
	for _, tc := range []struct {
		name   string
		given  bool
		client iamapi.ClientOptions
		want   float64
	}{
		{"aws", false, iamapi.ClientOptions{}, list.DefaultRate},
		{"aws endpoint", false, iamapi.ClientOptions{EndpointURL: "https://iam.amazonaws.com"}, list.DefaultRate},
		{"sandbox", false, iamapi.ClientOptions{Sandbox: true}, 0},
		{"sandbox, --rate given", true, iamapi.ClientOptions{Sandbox: true}, list.DefaultRate},
		{"loopback", false, iamapi.ClientOptions{EndpointURL: "http://127.0.0.1:4566"}, 0},
		{"localhost", false, iamapi.ClientOptions{EndpointURL: "http://localhost:4566"}, 0},
		{"ipv6 loopback", false, iamapi.ClientOptions{EndpointURL: "http://[::1]:4566"}, 0},
		{"not a URL", false, iamapi.ClientOptions{EndpointURL: "127.0.0.1"}, list.DefaultRate},
	} {
		if got := listRate(list.DefaultRate, tc.given, tc.client); got != tc.want {
			t.Errorf("%s: rate %v, want %v", tc.name, got, tc.want)
		}
	}
}
