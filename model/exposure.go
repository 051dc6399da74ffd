package model

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// minComparedValue is the shortest source value looked for in env vars:
// shorter ones ("admin", "true", "25") match by coincidence.
const minComparedValue = 6

// sensitiveWords mark an env var name that looks like it holds a credential.
var sensitiveWords = []string{"PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE", "PWD"}

// SensitiveName reports whether an env var name looks like a credential's.
// Names that point at a file (…_FILE, …_PATH) are the recommended way to pass
// a secret and are not flagged.
func SensitiveName(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_FILE") || strings.HasSuffix(n, "_PATH") || strings.HasSuffix(n, "_DIR") {
		return false
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// literal reports whether an env value is a literal rather than a reference
// to a mounted file.
func literal(v Value) bool {
	s := v.Reveal()
	return s != "" && !strings.HasPrefix(s, "/") && !windowsPath(s)
}

// windowsPath reports whether s is an absolute Windows path, as a secret
// mounted in a Windows container is (C:\ProgramData\Docker\secrets\…).
func windowsPath(s string) bool {
	return len(s) >= 3 && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') && s[1] == ':' && (s[2] == '\\' || s[2] == '/')
}

type sourceValue struct {
	value Value
	file  string
	key   string
}

// exposures reports env vars that hold a source value in clear, or that look
// like credentials and hold a literal. Values are compared in memory (hashed
// for the lookup, then compared in constant time) and never printed.
func (d *drifter) exposures() {
	index := d.sourceValues()
	for _, svc := range d.in.Swarm.Services {
		for _, ev := range svc.Spec.Env {
			var f Finding
			var exposed entryRef
			if match, ok := lookup(index, ev.Value); ok {
				f = newFinding(KindEnvExposure, fmt.Sprintf("env var %s of service %s holds, in clear, the value of %q in %s: anyone who can inspect the service reads it", ev.Name, svc.Name, match.key, match.file), ActionMoveToSecret)
				f.File = match.file
				exposed = entryRef{match.file, match.key}
			} else if SensitiveName(ev.Name) && literal(ev.Value) {
				f = newFinding(KindEnvExposure, fmt.Sprintf("env var %s of service %s looks like a credential and holds a literal value (%d bytes): anyone who can inspect the service reads it", ev.Name, svc.Name, ev.Value.Len()), ActionMoveToSecret)
			} else {
				continue
			}
			f.Service, f.Key = svc.Name, ev.Name
			m, hint := d.move(&svc, ev, exposed)
			if m != nil {
				f.Logical = m.Logical
				f.Explanation += fmt.Sprintf("; a plan moves it into secret %s at /run/secrets/%s", m.Logical, m.Target)
				if m.Burned {
					f.Explanation += ", but the source holds this same value: it is burned, put a new one in the source first"
				}
				d.report.Moves = append(d.report.Moves, *m)
			}
			d.exposedEntry[f.ID()] = exposed
			if hint != "" {
				d.moveHints[f.ID()] = hint
			}
			d.add(f)
		}
		d.previousExposures(&svc, index)
	}
}

// previousExposures reports a credential that is gone from a service's env
// but stays in its PreviousSpec: `docker service inspect` still shows it.
func (d *drifter) previousExposures(svc *Service, index map[[sha256.Size]byte][]sourceValue) {
	if svc.Previous == nil {
		return
	}
	for _, ev := range svc.Previous.Env {
		_, fromSource := lookup(index, ev.Value)
		if !fromSource && !(SensitiveName(ev.Name) && literal(ev.Value)) {
			continue
		}
		if slices.ContainsFunc(svc.Spec.Env, func(cur EnvVar) bool { return cur.Name == ev.Name && cur.Value.Equal(ev.Value) }) {
			continue // still in the current spec: an env-exposure already
		}
		f := newFinding(KindPreviousSpecExposure, fmt.Sprintf("env var %s is gone from service %s, but its previous spec still holds the value (%d bytes): `docker service inspect` shows it to anyone who can inspect the service",
			ev.Name, svc.Name, ev.Value.Len()), ActionPurgePrevious)
		f.Service, f.Key = svc.Name, ev.Name
		d.add(f)
	}
}

// sourceValues indexes the source's values long enough to be compared,
// by their hash, for lookup: built once per Drift.
func (d *drifter) sourceValues() map[[sha256.Size]byte][]sourceValue {
	if d.valueIndex != nil {
		return d.valueIndex
	}
	d.valueIndex = map[[sha256.Size]byte][]sourceValue{}
	for _, f := range d.in.Source.Files {
		for _, e := range f.Entries {
			if e.Value.Len() >= minComparedValue {
				h := sha256.Sum256(e.Value.bytes())
				d.valueIndex[h] = append(d.valueIndex[h], sourceValue{e.Value, f.Key, e.Key})
			}
		}
	}
	return d.valueIndex
}

func lookup(index map[[sha256.Size]byte][]sourceValue, v Value) (sourceValue, bool) {
	if v.Len() < minComparedValue {
		return sourceValue{}, false
	}
	for _, sv := range index[sha256.Sum256(v.bytes())] {
		if sv.value.Equal(v) {
			return sv, true
		}
	}
	return sourceValue{}, false
}

// runtimeStale reports services that read their property file at start-up
// (an env var names it) when the file changed after some of their running
// tasks started: those tasks run with the old values. Task start times, not
// the service's last update: a task Docker restarted since has the new file.
func (d *drifter) runtimeStale() {
	byBase := map[string][]*PropertyFile{}
	for i := range d.in.Source.Files {
		if f := &d.in.Source.Files[i]; !f.IsFileSecret() { // a secret file is mounted, never fetched
			byBase[fileBase(f.Key)] = append(byBase[fileBase(f.Key)], f)
		}
	}
	for i := range d.in.Swarm.Services {
		svc := &d.in.Swarm.Services[i]
		for _, ev := range svc.Spec.Env {
			ref := ev.Value.Reveal()
			if ref == "" || strings.ContainsAny(ref, " \n") {
				continue
			}
			for _, f := range byBase[fileBase(ref)] {
				if !namesFile(ref, f.Key) {
					continue
				}
				// S3 keeps a modification time to the second, cut down: a task
				// started in that second, before the change, is missed. The
				// other way (a second's margin) would call a restart made
				// right after an upload stale, as a pipeline does it.
				before, running := d.startedBefore(svc, f.LastModified)
				if before == 0 {
					continue
				}
				x := newFinding(KindRuntimeStale, fmt.Sprintf("service %s reads %s at start-up (env %s); the file changed at %s, after %d of its %d running tasks started, so they run with old values",
					svc.Name, f.Key, ev.Name, f.LastModified.UTC().Format("2006-01-02 15:04:05Z"), before, running), ActionRestart)
				x.Service, x.File, x.Key = svc.Name, f.Key, ev.Name
				d.add(x)
			}
		}
	}
}

// namesFile reports whether an env value names the object key: the key
// itself, a path or URL ending with it, or its file name.
func namesFile(ref, key string) bool {
	return ref == key || strings.HasSuffix(ref, "/"+key) || ref == fileBase(key)
}
