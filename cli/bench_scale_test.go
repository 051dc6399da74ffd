package cli

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// BenchmarkDriftAtScale runs `drift --json` in-process against what
// `bench/scale.sh --keep` left in the rig (bucket secretdeck-scale), for a
// CPU profile of where its time goes:
//
//	bench/scale.sh --keep   # once
//	go test ./cli -run XXX -bench DriftAtScale -benchtime 5x -cpuprofile /tmp/drift.prof
func BenchmarkDriftAtScale(b *testing.B) {
	bucket := scaleBucket(b)
	args := []string{"drift", "--host", testrig.Docker(b), "--source", "s3://" + bucket, "--env", "prod", "--json"}
	for b.Loop() {
		if code := run(context.Background(), args, BuildInfo{Version: "bench"}, io.Discard, io.Discard); code != 2 {
			b.Fatalf("drift exited %d", code)
		}
	}
}

// scaleBucket is the bucket bench/scale.sh seeds (SECRETDECK_BENCH_BUCKET
// names another), with the rig's S3 credentials and endpoint in the
// environment, as the commands read them.
func scaleBucket(b *testing.B) string {
	bucket := os.Getenv("SECRETDECK_BENCH_BUCKET")
	if bucket == "" {
		bucket = "secretdeck-scale"
	}
	srv := testrig.S3(b)
	b.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	b.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	b.Setenv("AWS_REGION", srv.Region)
	b.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	return bucket
}
