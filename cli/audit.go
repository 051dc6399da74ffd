package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// auditRecord is one line of the audit log. It names what was done to what
// (a key, a secret), never a value.
type auditRecord struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Context string    `json:"context,omitempty"`
	Swarm   string    `json:"swarm,omitempty"`
	Plan    string    `json:"plan,omitempty"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Result  string    `json:"result"`
	// Fingerprint of a created secret: keyed, so it reveals nothing.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// auditLog appends records to a JSONL file in the user's state directory.
type auditLog struct {
	mu   sync.Mutex
	path string
}

// stateDir is $XDG_STATE_HOME/secretdeck, or ~/.local/state/secretdeck.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "secretdeck"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory for the audit log: %w", err)
	}
	return filepath.Join(home, ".local", "state", "secretdeck"), nil
}

func openAuditLog() (*auditLog, error) {
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	return &auditLog{path: filepath.Join(dir, "audit.jsonl")}, nil
}

// append writes one record, creating the file 0600 in a 0700 directory, and
// returns the line it wrote — also when writing it failed, so that a copy
// elsewhere (the source's) still gets it.
func (l *auditLog) append(r auditRecord) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	if r.User == "" {
		r.User = userAtHost()
	}
	line, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return line, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return line, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return line, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := f.Close(); err != nil {
		return line, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	return line, nil
}

func userAtHost() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// read returns the records, oldest first.
func (l *auditLog) read() ([]auditRecord, error) {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []auditRecord
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: not an audit record: %w", l.path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
