// Package derive turns an AWS secret access key into an Amazon SES SMTP
// password (the algorithm of AWS's "Obtaining Amazon SES SMTP credentials"),
// and holds the table of regions with an SES SMTP endpoint. It is pure: no I/O.
package derive

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// The constants of the algorithm; AWS says they never change.
const (
	date     = "11111111"
	service  = "ses"
	terminal = "aws4_request"
	message  = "SendRawEmail"
	version  = 0x04
)

// PasswordLen is the length of every SMTP password: base64 of the version
// byte and a SHA-256 MAC (33 bytes).
const PasswordLen = 44

// Password returns the SES SMTP password for secretAccessKey in region.
func Password(secretAccessKey, region string) string {
	var buf [PasswordLen]byte
	return string(AppendPassword(buf[:0], secretAccessKey, region))
}

// AppendPassword appends the SES SMTP password for secretAccessKey in region
// to dst and returns the extended slice. With room for PasswordLen more bytes
// in dst, it does not allocate (unless the secret is longer than 60 bytes or
// the region longer than 64).
//
// The chain is kDate = HMAC("AWS4"+secret, "11111111"), then HMAC over the
// region, "ses", "aws4_request" and "SendRawEmail"; the password is base64 of
// 0x04 followed by the last MAC.
func AppendPassword(dst []byte, secretAccessKey, region string) []byte {
	// The first key is "AWS4"+secret: a block-sized key is used as is, a
	// longer one is hashed first (RFC 2104).
	var key [sha256.BlockSize]byte
	var keyLen int
	if 4+len(secretAccessKey) <= sha256.BlockSize {
		keyLen = copy(key[:], "AWS4")
		keyLen += copy(key[keyLen:], secretAccessKey)
	} else {
		h := sha256.New()
		h.Write([]byte("AWS4"))
		h.Write([]byte(secretAccessKey))
		keyLen = len(h.Sum(key[:0]))
	}
	sig := mac(key[:keyLen], date)
	sig = mac(sig[:], region)
	sig = mac(sig[:], service)
	sig = mac(sig[:], terminal)
	sig = mac(sig[:], message)

	var raw [1 + sha256.Size]byte
	raw[0] = version
	copy(raw[1:], sig[:])
	return base64.StdEncoding.AppendEncode(dst, raw[:])
}

// inlineMsg bounds the messages mac hashes from a stack buffer; every message
// of the chain fits, and a region name is far shorter.
const inlineMsg = 64

// mac returns HMAC-SHA256(key, msg) for a key of at most one block, with the
// pads and both hash inputs on the stack: H(K^opad || H(K^ipad || msg)).
func mac(key []byte, msg string) [sha256.Size]byte {
	const ipad, opad = 0x3636363636363636, 0x5c5c5c5c5c5c5c5c
	var inner [sha256.Size]byte
	if len(msg) <= inlineMsg {
		var in [sha256.BlockSize + inlineMsg]byte
		copy(in[:], key)
		xorBlock(in[:sha256.BlockSize], ipad)
		n := copy(in[sha256.BlockSize:], msg)
		inner = sha256.Sum256(in[:sha256.BlockSize+n])
	} else {
		var pad [sha256.BlockSize]byte
		copy(pad[:], key)
		xorBlock(pad[:], ipad)
		h := sha256.New()
		h.Write(pad[:])
		h.Write([]byte(msg))
		h.Sum(inner[:0])
	}
	var out [sha256.BlockSize + sha256.Size]byte
	copy(out[:], key)
	xorBlock(out[:sha256.BlockSize], opad)
	copy(out[sha256.BlockSize:], inner[:])
	return sha256.Sum256(out[:])
}

// xorBlock XORs a 64-byte block with a repeated pad, eight bytes at a time (a
// byte loop costs a fifth of the whole derivation).
func xorBlock(b []byte, pad uint64) {
	_ = b[sha256.BlockSize-1]
	for i := 0; i < sha256.BlockSize; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^pad)
	}
}
