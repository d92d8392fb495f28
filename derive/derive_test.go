package derive

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// referencePassword is the algorithm written plainly with crypto/hmac, as a
// second implementation the fast path must agree with.
func referencePassword(secret, region string) string {
	sign := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	sig := sign([]byte("AWS4"+secret), "11111111")
	for _, part := range []string{region, "ses", "aws4_request", "SendRawEmail"} {
		sig = sign(sig, part)
	}
	return base64.StdEncoding.EncodeToString(append([]byte{0x04}, sig...))
}

type vector struct {
	Secret   string `json:"secret"`
	Region   string `json:"region"`
	Password string `json:"password"`
}

func readVectors(t testing.TB) []vector {
	f, err := os.Open(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("vectors.json line %d: %v", len(vs)+1, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestPasswordGeneratedVectors checks every vector that
// testdata/gen_vectors.py (Python's hmac, not this code) computed.
func TestPasswordGeneratedVectors(t *testing.T) {
	vs := readVectors(t)
	if len(vs) < 300 {
		t.Fatalf("only %d vectors in testdata/vectors.json", len(vs))
	}
	var long, unicode, longRegion bool
	for _, v := range vs {
		long = long || len(v.Secret) > 60
		unicode = unicode || len([]rune(v.Secret)) != len(v.Secret)
		longRegion = longRegion || len(v.Region) > inlineMsg
		if got := Password(v.Secret, v.Region); got != v.Password {
			t.Errorf("Password(%q, %q) = %q, want %q", v.Secret, v.Region, got, v.Password)
		}
		if got := string(AppendPassword([]byte("x:"), v.Secret, v.Region)); got != "x:"+v.Password {
			t.Errorf("AppendPassword(%q, %q) = %q, want x:%q", v.Secret, v.Region, got, v.Password)
		}
		if got := referencePassword(v.Secret, v.Region); got != v.Password {
			t.Errorf("reference(%q, %q) = %q, want %q", v.Secret, v.Region, got, v.Password)
		}
	}
	if !long || !unicode || !longRegion {
		t.Errorf("vectors lack a case: long secret %v, unicode %v, long region %v", long, unicode, longRegion)
	}
}

// TestVectorsAreTheGeneratorsOutput makes sure the committed vectors are what
// the script prints (where python3 exists), so neither drifts.
func TestVectorsAreTheGeneratorsOutput(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the committed vectors are still checked by TestPasswordGeneratedVectors")
	}
	out, err := exec.Command(py, filepath.Join("testdata", "gen_vectors.py")).Output()
	if err != nil {
		t.Fatalf("gen_vectors.py: %v", err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Error("testdata/vectors.json differs from gen_vectors.py's output: regenerate it (see the script's doc)")
	}
}

func TestAppendPasswordAllocations(t *testing.T) {
	dst := make([]byte, 0, PasswordLen)
	if n := testing.AllocsPerRun(100, func() {
		dst = AppendPassword(dst[:0], "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
	}); n != 0 {
		t.Errorf("AppendPassword allocates %v times per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		_ = Password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
	}); n > 1 {
		t.Errorf("Password allocates %v times per call, want at most 1 (the string)", n)
	}
}

// FuzzPassword: for any secret and region, the password is 44 base64
// characters decoding to 33 bytes that start with 0x04, agrees with the
// crypto/hmac reference, and differs between regions.
func FuzzPassword(f *testing.F) {
	f.Add("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "eu-west-1")
	f.Add("", "", "x")
	f.Add("some+secret+key", "eu-central-1", "eu-central-2")
	f.Add(string(bytes.Repeat([]byte("k"), 61)), "us-gov-west-1", "us-gov-east-1")
	f.Add("秘密🔑", string(bytes.Repeat([]byte("r"), 65)), "r")
	f.Fuzz(func(t *testing.T, secret, region, other string) {
		got := Password(secret, region)
		if len(got) != PasswordLen {
			t.Fatalf("len %d, want %d: %q", len(got), PasswordLen, got)
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(got)
		if err != nil || len(raw) != 33 || raw[0] != 0x04 {
			t.Fatalf("%q decodes to %x (%v), want 33 bytes starting 04", got, raw, err)
		}
		if ref := referencePassword(secret, region); got != ref {
			t.Fatalf("Password(%q, %q) = %q, reference %q", secret, region, got, ref)
		}
		if app := AppendPassword(nil, secret, region); string(app) != got {
			t.Fatalf("AppendPassword = %q, Password = %q", app, got)
		}
		if other != region && Password(secret, other) == got {
			t.Fatalf("regions %q and %q give the same password %q", region, other, got)
		}
	})
}

var sink []byte

// BenchmarkAppendPassword is the per-region cost of create-user, rotate,
// convert and derive (docs/performance.md).
func BenchmarkAppendPassword(b *testing.B) {
	dst := make([]byte, 0, PasswordLen)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendPassword(dst[:0], "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
	}
	sink = dst
}

var sinkS string

func BenchmarkPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkS = Password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
	}
}

// BenchmarkReferencePassword is the plain crypto/hmac version, for comparison.
func BenchmarkReferencePassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkS = referencePassword("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
	}
}
