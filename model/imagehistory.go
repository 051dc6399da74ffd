package model

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// ImageHistory is what the connected engine knows of one image the
// services run: the history of its build, which `docker history` shows to
// anyone who can pull the image — build args included, in clear.
type ImageHistory struct {
	Image string `json:"image"` // as the services name it
	// Held: the engine holds the image. An image it does not hold (it runs
	// on other nodes only) could not be checked.
	Held   bool         `json:"held"`
	ID     string       `json:"id,omitempty"`
	Layers []ImageLayer `json:"layers,omitempty"` // newest first, as `docker history` lists them
}

// ImageLayer is one entry of an image's history. CreatedBy is the
// instruction that made it: a RUN line carries the build args in clear, so
// it is a Value and never printed.
type ImageLayer struct {
	ID        string `json:"id,omitempty"` // "<missing>" for layers built elsewhere
	CreatedBy Value  `json:"-"`
}

// ImageHistoryLoader reads the history of images from the engine
// secretdeck is connected to. An image the engine does not hold comes back
// with Held false; an error is for an engine that cannot answer.
type ImageHistoryLoader interface {
	ImageHistories(ctx context.Context, images []string) ([]ImageHistory, error)
}

// ServiceImages are the images the services run, each once, sorted.
func (s *SwarmSnapshot) ServiceImages() []string {
	var out []string
	for i := range s.Services {
		if img := s.Services[i].Spec.Image; img != "" && !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	slices.Sort(out)
	return out
}

// BuildVar is one variable a history entry sets: a build arg a RUN line ran
// with (`|2 NPM_TOKEN=… OTHER=… /bin/sh -c …`), an ARG's default, or an ENV.
type BuildVar struct {
	Instruction string // "RUN" (a build arg), "ARG" or "ENV"
	Name        string
	Value       Value
	HasValue    bool // an ARG without a default has none
}

// Bounds of ParseCreatedBy: a history entry is written by whoever built the
// image, so its size must not decide secretdeck's memory.
const (
	maxCreatedBy = 64 << 10
	maxBuildVars = 256
)

// ParseCreatedBy reads the variables a history entry's CreatedBy sets, as
// both of Docker's builders write it:
//
//	|2 NPM_TOKEN=x OTHER=y /bin/sh -c npm ci      classic builder, RUN with build args
//	RUN |1 NPM_TOKEN=x /bin/sh -c npm ci # buildkit
//	/bin/sh -c #(nop)  ARG NPM_TOKEN=x            classic builder
//	/bin/sh -c #(nop)  ENV A=1 B=2
//	ARG NPM_TOKEN=x / ENV A=1 B=2                 BuildKit
//
// A RUN line's build args are not quoted: a value runs up to the space
// before the next NAME=, the last one up to the next space. It never fails:
// what it cannot read it leaves out. Values are never part of an error.
func ParseCreatedBy(createdBy Value) []BuildVar {
	s := createdBy.Reveal()
	if len(s) > maxCreatedBy {
		s = s[:maxCreatedBy]
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop)"); ok {
		s = strings.TrimSpace(rest)
	}
	switch {
	case strings.HasPrefix(s, "|"):
		return buildArgs(s)
	case strings.HasPrefix(s, "RUN |"):
		return buildArgs(s[len("RUN "):])
	case strings.HasPrefix(s, "ARG "):
		return assignments("ARG", s[len("ARG "):], true)
	case strings.HasPrefix(s, "ENV "):
		return assignments("ENV", s[len("ENV "):], false)
	}
	return nil
}

// buildArgs reads `|N k=v … command`: N pairs, the last one ending at the
// first space (the command follows).
func buildArgs(s string) []BuildVar {
	count, rest, ok := strings.Cut(s[1:], " ")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n <= 0 {
		return nil
	}
	n = min(n, maxBuildVars)
	var out []BuildVar
	for i := 0; i < n && rest != ""; i++ {
		name, after, ok := strings.Cut(rest, "=")
		if !ok || !validVarName(name) {
			break
		}
		var value string
		if i == n-1 {
			value, rest, _ = strings.Cut(after, " ")
		} else {
			value, rest = untilNextAssignment(after)
		}
		out = append(out, BuildVar{Instruction: "RUN", Name: name, Value: NewValueString(value), HasValue: true})
	}
	return out
}

// assignments reads `A=1 B=two words C` (ENV, ARG): a value runs up to the
// space before the next NAME=; a bare NAME (an ARG without a default) has
// no value. ENV's legacy `ENV NAME value` form is one assignment.
func assignments(instruction, s string, bareNames bool) []BuildVar {
	s = strings.TrimSpace(s)
	var out []BuildVar
	for s != "" && len(out) < maxBuildVars {
		word, _, _ := strings.Cut(s, " ")
		name, _, hasValue := strings.Cut(word, "=")
		if !hasValue {
			if !validVarName(name) {
				break
			}
			if !bareNames { // ENV NAME value: the rest is the value
				_, v, _ := strings.Cut(s, " ")
				out = append(out, BuildVar{Instruction: instruction, Name: name, Value: NewValueString(unquote(strings.TrimSpace(v))), HasValue: true})
				break
			}
			out = append(out, BuildVar{Instruction: instruction, Name: name})
			s = strings.TrimSpace(s[len(word):])
			continue
		}
		if !validVarName(name) {
			break
		}
		var value string
		value, s = untilNextAssignment(s[len(name)+1:])
		out = append(out, BuildVar{Instruction: instruction, Name: name, Value: NewValueString(unquote(value)), HasValue: true})
		s = strings.TrimSpace(s)
	}
	return out
}

// untilNextAssignment splits s at the first run of spaces followed by a
// word NAME=…; in one pass (each word is looked at once), so that a long
// entry costs its length, not its square.
func untilNextAssignment(s string) (value, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			continue
		}
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		word := s[j:]
		if k := strings.IndexByte(word, ' '); k >= 0 {
			word = word[:k]
		}
		if name, _, ok := strings.Cut(word, "="); ok && validVarName(name) {
			return s[:i], s[j:]
		}
		i = j - 1
	}
	return s, ""
}

// validVarName: what Docker accepts as a build arg or env var name, as far
// as telling it from a value goes: a letter or _ first, then letters,
// digits, _, . or -.
func validVarName(s string) bool {
	if s == "" || len(s) > 256 || !(s[0] == '_' || s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// unquote strips one pair of surrounding double or single quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
