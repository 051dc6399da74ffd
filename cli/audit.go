package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
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

// append writes one record, creating the file 0600 in a 0700 directory.
func (l *auditLog) append(r auditRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	if r.User == "" {
		r.User = userAtHost()
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	line, err := json.Marshal(r)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func userAtHost() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}
