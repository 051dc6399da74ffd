package model

import (
	"fmt"
	"testing"
)

// benchWorld builds a swarm of n services, each with a property file of 10
// keys, 5 of them mounted as managed secrets (5n secrets) and 1 in an env var.
func benchWorld(n int) DriftInput {
	w := newWorld()
	for i := range n {
		svc := fmt.Sprintf("service_%04d", i)
		var entries, mounts []string
		for k := range 10 {
			key := fmt.Sprintf("key_%d", k)
			value := fmt.Sprintf("value-%d-%d", i, k)
			entries = append(entries, key+"="+value)
			if k < 5 {
				stored := value
				if k == 0 {
					stored = "old" // one stale secret per service
				}
				w.managed(svc+"_"+key, 1, stored)
				mounts = append(mounts, fmt.Sprintf("%s_%s_v1:%s", svc, key, key))
			}
		}
		w.service(svc, mounts...)
		w.last().Spec.Env = []EnvVar{{Name: "PROPS", Value: NewValueString(svc + ".properties.prod")}, {Name: "LOG", Value: NewValueString("info")}}
		w.file(svc+".properties.prod", svc, entries...)
	}
	w.source.URI = "s3://bench" // a bucket: drift also checks which services fetch their own file
	return DriftInput{Swarm: &w.swarm, Source: &w.source, Key: w.key}
}

// BenchmarkDrift measures drift at 1/10, 1 and 10 times the size of a large
// swarm (5,000 secrets, 1,000 services, 1,000 files with 10,000 keys).
func BenchmarkDrift(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		in := benchWorld(n)
		b.Run(fmt.Sprintf("services=%d/secrets=%d/keys=%d", n, 5*n, 10*n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Drift(in)
				if len(r.Findings) < n {
					b.Fatalf("expected at least %d findings, got %d", n, len(r.Findings))
				}
			}
		})
	}
}
