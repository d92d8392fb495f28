package iamfake

import (
	"encoding/base64"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// All XML iamfake writes goes through xmlw: a byte buffer with element
// helpers. Answers are small and regular, so writing them directly is both
// simpler and much cheaper than encoding/xml with reflection.

const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
)

type xmlw struct {
	b            []byte
	mark, result int  // envelope positions (see startEnvelope)
	keepEmpty    bool // write an empty result (UpdateRole: the SDK requires <UpdateRoleResult/>)
}

func (w *xmlw) open(name string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *xmlw) close(name string) {
	w.b = append(w.b, '<', '/')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

// el writes <name>value</name> with value escaped.
func (w *xmlw) el(name, value string) {
	w.open(name)
	w.text(value)
	w.close(name)
}

// arn writes <name>arn:aws:iam::ACCOUNT:KIND PATH NAME</name> without
// building the string first (lists write thousands of them).
func (w *xmlw) arn(name, account, kind, path, entity string) {
	w.open(name)
	w.b = append(w.b, "arn:aws:iam::"...)
	w.text(account)
	w.b = append(w.b, ':')
	w.b = append(w.b, kind...)
	w.text(path)
	w.text(entity)
	w.close(name)
}

// opt writes the element only when value is not empty.
func (w *xmlw) opt(name, value string) {
	if value != "" {
		w.el(name, value)
	}
}

func (w *xmlw) time(name string, t time.Time) {
	w.open(name)
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02T15:04:05Z")
	w.close(name)
}

func (w *xmlw) bool(name string, v bool) {
	w.open(name)
	w.b = strconv.AppendBool(w.b, v)
	w.close(name)
}

func (w *xmlw) int(name string, v int) {
	w.open(name)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
	w.close(name)
}

func (w *xmlw) blob(name string, v []byte) {
	w.el(name, base64.StdEncoding.EncodeToString(v))
}

// page writes IsTruncated and, when truncated, the Marker of the next page.
func (w *xmlw) page(next string) {
	w.bool("IsTruncated", next != "")
	if next != "" {
		w.el("Marker", next)
	}
}

// writeList writes a list answer: <name> holding each item in a <member>
// element, then IsTruncated and the Marker of the next page.
func writeList[T any](w *xmlw, name string, items []T, next string, member func(T)) {
	w.open(name)
	for _, it := range items {
		w.open("member")
		member(it)
		w.close("member")
	}
	w.close(name)
	w.page(next)
}

func (w *xmlw) text(s string) {
	if plain(s) {
		w.b = append(w.b, s...)
		return
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '<':
				w.b = append(w.b, "&lt;"...)
			case '>':
				w.b = append(w.b, "&gt;"...)
			case '&':
				w.b = append(w.b, "&amp;"...)
			case '"':
				w.b = append(w.b, "&quot;"...)
			case '\'':
				w.b = append(w.b, "&apos;"...)
			case '\r':
				w.b = append(w.b, "&#xD;"...)
			case '\n', '\t':
				w.b = append(w.b, c)
			default:
				if c < 0x20 {
					w.b = append(w.b, "\uFFFD"...)
				} else {
					w.b = append(w.b, c)
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			w.b = append(w.b, "\uFFFD"...)
		} else {
			w.b = append(w.b, s[i:i+n]...)
		}
		i += n
	}
}

// plain reports whether s is printable ASCII with nothing to escape: the
// usual case (names, IDs, ARNs, dates, URL-encoded documents).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// startEnvelope and endEnvelope wrap what a handler writes in IAM's (or
// STS's) response envelope. An empty result (DeleteUser and the other
// actions with no output) is left out, as IAM leaves it out.
func (w *xmlw) startEnvelope(action, ns string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, action...)
	w.b = append(w.b, `Response xmlns="`...)
	w.b = append(w.b, ns...)
	w.b = append(w.b, `">`...)
	w.mark = len(w.b)
	w.open(action + "Result")
	w.result = len(w.b)
}

func (w *xmlw) endEnvelope(action, requestID string) {
	if len(w.b) == w.result && !w.keepEmpty {
		w.b = w.b[:w.mark]
	} else {
		w.close(action + "Result")
	}
	w.open("ResponseMetadata")
	w.el("RequestId", requestID)
	w.close("ResponseMetadata")
	w.close(action + "Response")
}

var bufPool = sync.Pool{New: func() any { return &xmlw{b: make([]byte, 0, 4096)} }}

func getBuf() *xmlw { return bufPool.Get().(*xmlw) }

func putBuf(w *xmlw) {
	if cap(w.b) > 1<<20 {
		return
	}
	w.b, w.mark, w.result, w.keepEmpty = w.b[:0], 0, 0, false
	bufPool.Put(w)
}

func errorBody(e *apiError, requestID string) []byte {
	var w xmlw
	w.b = append(w.b, `<ErrorResponse xmlns="`...)
	w.b = append(w.b, iamNamespace...)
	w.b = append(w.b, `">`...)
	w.open("Error")
	w.el("Type", e.Code.Type())
	w.el("Code", string(e.Code))
	w.el("Message", e.Message)
	w.close("Error")
	w.el("RequestId", requestID)
	w.close("ErrorResponse")
	return w.b
}

// urlEncode percent-encodes everything but RFC 3986's unreserved
// characters, as IAM does for policy documents: both url.QueryUnescape and
// url.PathUnescape give the document back.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)*2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
