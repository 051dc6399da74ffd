package model

import (
	"slices"
	"strconv"
	"strings"
)

// Labels secretdeck puts on the secrets it creates.
const (
	LabelLogical       = "secretdeck.logical"
	LabelVersion       = "secretdeck.version"
	LabelFingerprint   = "secretdeck.fingerprint"
	LabelSource        = "secretdeck.source"         // uri#key
	LabelSourceVersion = "secretdeck.source-version" // S3 VersionId or ETag
	LabelEnv           = "secretdeck.env"
	LabelPlan          = "secretdeck.plan"
	LabelCreatedBy     = "secretdeck.created-by"
)

// SecretVersion is one swarm secret seen as a version of a logical secret.
type SecretVersion struct {
	Secret  *Secret
	Logical string
	N       int  // version number; 0 for an adopted secret named exactly like its logical
	Managed bool // carries secretdeck's labels (else adopted by its name)
	// Rule is the naming rule that adopted an unlabelled version ("" for
	// the default, {name}_v{n}).
	Rule string
}

// Fingerprint is the stored fingerprint, "" for an adopted secret.
func (v SecretVersion) Fingerprint() Fingerprint {
	return Fingerprint(v.Secret.Labels[LabelFingerprint])
}

// Plan is the plan that created this version, if any.
func (v SecretVersion) Plan() string { return v.Secret.Labels[LabelPlan] }

// versionIndex finds the versions of a logical secret among the swarm's
// secrets: those labelled with it, and (adoption) unlabelled secrets named L
// or L_v<N>, as in Docker's own rotation example.
type versionIndex struct {
	managed map[string][]SecretVersion // by logical label
	byName  map[string][]SecretVersion // unlabelled, by the logical their name implies
	byID    map[string]SecretVersion   // every secret that is a version of something
	// unlabelled are the secrets without secretdeck's labels, by name: where
	// a naming rule other than the default looks for versions.
	unlabelled []*Secret
}

func newVersionIndex(secrets []Secret) *versionIndex {
	ix := &versionIndex{
		managed: map[string][]SecretVersion{},
		byName:  map[string][]SecretVersion{},
		byID:    make(map[string]SecretVersion, len(secrets)),
	}
	for i := range secrets {
		s := &secrets[i]
		if v := versionOf(s); v.Managed {
			ix.managed[v.Logical] = append(ix.managed[v.Logical], v)
			ix.byID[s.ID] = v
			continue
		}
		ix.unlabelled = append(ix.unlabelled, s)
		ix.byName[s.Name] = append(ix.byName[s.Name], SecretVersion{Secret: s, Logical: s.Name})
		if l, n, ok := ParseVersionName(s.Name); ok {
			ix.byName[l] = append(ix.byName[l], SecretVersion{Secret: s, Logical: l, N: n})
		}
	}
	slices.SortFunc(ix.unlabelled, func(a, b *Secret) int { return strings.Compare(a.Name, b.Name) })
	return ix
}

// adoptNamed is adopt under naming rule n: the unlabelled secrets whose
// names n reads as versions of l (and one named l itself, version 0) are
// l's, and none other (under a date rule, l_v2 is not a version of l).
func (ix *versionIndex) adoptNamed(l string, n Naming) {
	if n.IsDefault() {
		ix.adopt(l)
		return
	}
	var vs []SecretVersion
	for _, v := range ix.byName[l] {
		if v.Secret.Name == l {
			vs = append(vs, v) // the bare name
		}
	}
	head := n.before + l + n.infix
	i, _ := slices.BinarySearchFunc(ix.unlabelled, head, func(s *Secret, h string) int { return strings.Compare(s.Name, h) })
	for ; i < len(ix.unlabelled) && strings.HasPrefix(ix.unlabelled[i].Name, head); i++ {
		if v, ok := n.Parse(ix.unlabelled[i].Name, l); ok {
			vs = append(vs, SecretVersion{Secret: ix.unlabelled[i], Logical: l, N: v, Rule: n.String()})
		}
	}
	ix.byName[l] = vs
	ix.adopt(l)
}

// versionOf says what s is a version of: its labels if secretdeck made it,
// else its name (L_v<N> is version N of L; any other name L is version 0 of L).
func versionOf(s *Secret) SecretVersion {
	if l := s.Labels[LabelLogical]; l != "" {
		n, err := strconv.Atoi(s.Labels[LabelVersion])
		if err != nil {
			_, n, _ = ParseVersionName(s.Name)
		}
		return SecretVersion{Secret: s, Logical: l, N: n, Managed: true}
	}
	l, n, _ := ParseVersionName(s.Name)
	return SecretVersion{Secret: s, Logical: l, N: n}
}

// versions returns the versions of logical l, oldest first.
func (ix *versionIndex) versions(l string) []SecretVersion {
	vs := slices.Clone(ix.managed[l])
	vs = append(vs, ix.byName[l]...)
	slices.SortFunc(vs, func(a, b SecretVersion) int {
		if a.N != b.N {
			return a.N - b.N
		}
		return a.Secret.CreatedAt.Compare(b.Secret.CreatedAt)
	})
	return vs
}

// has reports whether l has a version, without listing them.
func (ix *versionIndex) has(l string) bool { return len(ix.managed[l])+len(ix.byName[l]) > 0 }

// adopt records that the versions of l belong to a desired logical secret, so
// that byID can tell what an unlabelled secret is a version of.
func (ix *versionIndex) adopt(l string) {
	for _, v := range ix.byName[l] {
		if _, seen := ix.byID[v.Secret.ID]; !seen {
			ix.byID[v.Secret.ID] = v
		}
	}
}

// newest returns the newest version of l, if any.
func newest(vs []SecretVersion) (SecretVersion, bool) {
	if len(vs) == 0 {
		return SecretVersion{}, false
	}
	return vs[len(vs)-1], true
}
