package awsjson

import (
	"encoding/json"
	"fmt"
	"io"
)

// stateFormat is the version of the fakes' state files.
const stateFormat = 1

// WriteState writes a fake's state file: {"format": 1, key: body}, indented.
// The caller holds its lock while body is read: encoding happens here, so
// pass a copy or call under the lock.
func WriteState(w io.Writer, service, key string, body any) error {
	b, err := json.MarshalIndent(map[string]any{"format": stateFormat, key: body}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s state: %w", service, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadState reads what WriteState wrote into body (a pointer); a file
// without key leaves body as it was.
func ReadState(r io.Reader, service, key string, body any) error {
	var f map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return fmt.Errorf("decode %s state: %w", service, err)
	}
	var format int
	if err := json.Unmarshal(f["format"], &format); err != nil || format != stateFormat {
		return fmt.Errorf("%s state format %s, want %d", service, f["format"], stateFormat)
	}
	if raw, ok := f[key]; ok {
		if err := json.Unmarshal(raw, body); err != nil {
			return fmt.Errorf("decode %s state: %w", service, err)
		}
	}
	return nil
}
