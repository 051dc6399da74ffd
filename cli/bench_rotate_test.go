package cli

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/swarm"
)

// BenchmarkRotateAcross20Services rotates one secret mounted by 20 running
// services on the real engine and reports the total time next to the slowest
// single rollout (update sent → verified): with updates in parallel the total
// should be close to the slowest, not to the sum.
//
//	go test ./cli -run XXX -bench Rotate -benchtime 1x
func BenchmarkRotateAcross20Services(b *testing.B) {
	for _, parallel := range []int{4, 20} { // the default, and all at once
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				total, slowest, sum := rotateOnce(b, 20, parallel)
				b.ReportMetric(total.Seconds(), "s-total")
				b.ReportMetric(slowest.Seconds(), "s-slowest-rollout")
				b.ReportMetric(sum.Seconds(), "s-sum-of-rollouts")
			}
		})
	}
}

func rotateOnce(b *testing.B, services, parallel int) (total, slowest, sum time.Duration) {
	ctx := context.Background()
	srvS3 := testrig.S3(b)
	b.Setenv("AWS_ACCESS_KEY_ID", srvS3.AccessKey)
	b.Setenv("AWS_SECRET_ACCESS_KEY", srvS3.SecretKey)
	b.Setenv("AWS_REGION", srvS3.Region)
	sw := newRigSwarm(b)
	sw.secret("tok_v1", "bench-old", nil)
	var ids []string
	for i := range services {
		ids = append(ids, sw.runningService(fmt.Sprint("s", i), nil, "tok_v1:"+sw.prefix+"tok:0:0:0400"))
	}
	sw.waitRunning(ids...)
	bucket := srvS3.NewBucket(b, map[string]string{"shared.properties.prod": sw.prefix + "tok = bench-new\n"})

	c, err := swarm.Connect(ctx, swarm.ConnectOptions{Host: testrig.Docker(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	snap, err := c.Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	src, err := s3.Open(ctx, s3.Options{URI: "s3://" + bucket, Endpoint: srvS3.Endpoint})
	if err != nil {
		b.Fatal(err)
	}
	source, err := src.Load(ctx, "prod")
	if err != nil {
		b.Fatal(err)
	}
	key, err := s3.EnsureKey(ctx, src)
	if err != nil {
		b.Fatal(err)
	}
	source.Key = key
	drift := model.Drift(model.DriftInput{Swarm: snap, Source: source, Key: key})
	p, err := model.NewPlan(model.PlanInput{Drift: drift, Swarm: snap, Source: source, ID: "bench", Now: time.Now(),
		Select: func(f model.Finding) bool { return f.Logical == sw.prefix+"tok" }})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	started := map[string]time.Time{}
	took := map[string]time.Duration{}
	in := model.ApplyInput{Plan: p, Swarm: c.NewWriter(snap.ClusterID), Source: source, Key: key, Options: model.ApplyOptions{Parallel: parallel},
		Progress: func(s model.Step) {
			mu.Lock()
			defer mu.Unlock()
			switch s.Action {
			case "update":
				started[s.Service] = time.Now()
			case "verified":
				took[s.Service] = time.Since(started[s.Service])
			}
		}}
	b.StartTimer()
	start := time.Now()
	if _, err := model.Apply(ctx, in); err != nil {
		b.Fatal(err)
	}
	total = time.Since(start)
	b.StopTimer()
	for _, d := range took {
		slowest = max(slowest, d)
		sum += d
	}
	b.Logf("%d services, %d at a time: total %s, slowest rollout %s, sum of rollouts %s", services, parallel, total.Round(time.Millisecond), slowest.Round(time.Millisecond), sum.Round(time.Millisecond))
	return total, slowest, sum
}
