package iamfake

import (
	"bytes"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
)

// SSH public keys as UploadSSHPublicKey takes them: an OpenSSH
// "ssh-rsa AAAA… [comment]" line, or an RSA public key in PEM (the API
// reference: "The SSH public key … must be in ssh-rsa format or PEM
// format"). Either way the fingerprint is the MD5 of the ssh-rsa wire
// form, which IAM shows.

// sshBlob returns the RSA key's ssh-rsa wire form (RFC 4253), from either form.
func sshBlob(body string) ([]byte, bool) {
	if strings.HasPrefix(strings.TrimSpace(body), "-----BEGIN") {
		k, ok := pemRSAKey(body)
		if !ok {
			return nil, false
		}
		return rsaWireForm(k), true
	}
	f := strings.Fields(body)
	if len(f) < 2 || f[0] != "ssh-rsa" {
		return nil, false
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 11 || !bytes.Equal(blob[4:11], []byte("ssh-rsa")) {
		return nil, false
	}
	return blob, true
}

// pemRSAKey reads a "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS #1) block.
func pemRSAKey(body string) (*rsa.PublicKey, bool) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(body)))
	if block == nil {
		return nil, false
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		rk, ok := k.(*rsa.PublicKey)
		return rk, err == nil && ok
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		return k, err == nil
	}
	return nil, false
}

func rsaWireForm(k *rsa.PublicKey) []byte {
	var b []byte
	put := func(p []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	mpint := func(n *big.Int) []byte {
		p := n.Bytes()
		if len(p) > 0 && p[0]&0x80 != 0 {
			p = append([]byte{0}, p...)
		}
		return p
	}
	put([]byte("ssh-rsa"))
	put(mpint(big.NewInt(int64(k.E))))
	put(mpint(k.N))
	return b
}

// sshFingerprint checks a key in either form and returns its fingerprint.
func sshFingerprint(body string) (string, bool) {
	blob, ok := sshBlob(body)
	if !ok {
		return "", false
	}
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":"), true
}

// sshKeyBody gives the stored key in the encoding asked for: as uploaded
// when it is already in that form, else converted.
func sshKeyBody(body, encoding string) string {
	isPEM := strings.HasPrefix(strings.TrimSpace(body), "-----BEGIN")
	if isPEM == (encoding == "PEM") {
		return body
	}
	blob, _ := sshBlob(body)
	if encoding != "PEM" {
		return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
	}
	k, _ := parseWireForm(blob)
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return body
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// parseWireForm reads back what rsaWireForm wrote.
func parseWireForm(blob []byte) (*rsa.PublicKey, bool) {
	var fields [][]byte
	for len(blob) >= 4 && len(fields) < 3 {
		n := binary.BigEndian.Uint32(blob)
		if uint64(n) > uint64(len(blob)-4) {
			return nil, false
		}
		fields, blob = append(fields, blob[4:4+n]), blob[4+n:]
	}
	if len(fields) != 3 {
		return nil, false
	}
	e := new(big.Int).SetBytes(fields[1])
	return &rsa.PublicKey{E: int(e.Int64()), N: new(big.Int).SetBytes(fields[2])}, e.IsInt64()
}
