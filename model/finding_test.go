package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortByUrgencyOrder: severity first, then kind in Urgency's order, then
// each subject field in turn; findings alike in all of these keep the order
// they came in. Every shuffle of the same findings sorts the same way.
func TestSortByUrgencyOrder(t *testing.T) {
	// For each subject field in turn, two stale findings that differ there
	// first, and whose later fields disagree with that order.
	var subjects []Finding
	fields := []func(*Finding) *string{
		func(f *Finding) *string { return &f.Service }, func(f *Finding) *string { return &f.Logical },
		func(f *Finding) *string { return &f.Secret }, func(f *Finding) *string { return &f.File },
		func(f *Finding) *string { return &f.Key }, func(f *Finding) *string { return &f.Config },
		func(f *Finding) *string { return &f.Image },
	}
	for level := range fields {
		for _, v := range []string{"a", "b"} {
			f := Finding{Kind: KindStale, Severity: severityOf[KindStale]}
			for i, field := range fields {
				switch {
				case i < level:
					*field(&f) = "m"
				case i == level:
					*field(&f) = v
				case v == "a":
					*field(&f) = "z"
				default:
					*field(&f) = "a"
				}
			}
			subjects = append(subjects, f)
		}
	}
	want := append([]Finding{{Kind: KindEnvExposure, Severity: severityOf[KindEnvExposure], Service: "z"}}, subjects...)
	want = append(want,
		Finding{Kind: KindMissing, Severity: severityOf[KindMissing], Service: "a"},
		// A kind listed before stale, found less severe (imageexposure.go):
		// its severity places it.
		Finding{Kind: KindImageHistoryExposure, Severity: SeverityMedium, Service: "a"},
		Finding{Kind: KindUnverifiable, Severity: severityOf[KindUnverifiable], Service: "a"},
		Finding{Kind: KindOrphan, Severity: severityOf[KindOrphan], Secret: "a"},
	)
	if severityOf[KindStale] != severityOf[KindMissing] || severityOf[KindMissing] <= SeverityMedium || severityOf[KindUnverifiable] != SeverityMedium {
		t.Fatal("the cases assume stale and missing share a severity above medium, unverifiable's")
	}
	for seed := range uint64(50) {
		fs := slices.Clone(want)
		// Two findings alike but for their text, in this shuffle's order.
		fs = append(fs, Finding{Kind: KindOrphan, Severity: severityOf[KindOrphan], Secret: "b", Explanation: "first"},
			Finding{Kind: KindOrphan, Severity: severityOf[KindOrphan], Secret: "b", Explanation: "second"})
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		var came []string
		for _, f := range fs {
			if f.Explanation != "" {
				came = append(came, f.Explanation)
			}
		}
		SortByUrgency(fs)
		got := fs[:len(want)]
		if !slices.EqualFunc(got, want, func(a, b Finding) bool { return a.ID() == b.ID() && a.Severity == b.Severity }) {
			t.Fatalf("shuffle %d sorted to\n%v\nwant\n%v", seed, ids(got), ids(want))
		}
		if tail := []string{fs[len(want)].Explanation, fs[len(want)+1].Explanation}; !slices.Equal(tail, came) {
			t.Fatalf("shuffle %d: findings alike came as %v, left as %v", seed, came, tail)
		}
	}
}

func ids(fs []Finding) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.ID())
	}
	return s
}
