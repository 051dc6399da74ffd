// Command seed loads secretdeck's demo data into a swarm and an S3 bucket:
// the property files under examples/props, and services and secrets that
// drift from them in the ways operators meet in production. It is idempotent:
// what exists is left alone.
//
//	go run ./examples/seed -host unix:///tmp/secretdeck-testenv/docker.sock \
//	    -s3-endpoint http://127.0.0.1:7070 -bucket secretdeck-demo -props examples/props
//
// S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/moby/moby/client"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "seed: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	var (
		host     = flag.String("host", "", "Docker endpoint of the demo swarm (required)")
		endpoint = flag.String("s3-endpoint", "", "S3 endpoint of the demo bucket (required)")
		bucket   = flag.String("bucket", "secretdeck-demo", "bucket to create and fill")
		props    = flag.String("props", "examples/props", "folder of demo property files")
		image    = flag.String("image", "secretdeck-test/echo:1", "image the demo services run")
	)
	flag.Parse()
	if *host == "" || *endpoint == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The swarm first: files uploaded after the services were created show
	// runtime-stale (my_service reads its file at start-up).
	c, err := newBucketClient(ctx, *endpoint)
	if err != nil {
		fail("S3", err)
	}
	key, err := seedKey(ctx, c, *bucket)
	if err != nil {
		fail("S3", err)
	}
	api, err := client.New(client.WithHost(*host))
	if err != nil {
		fail("docker", err)
	}
	defer api.Close()
	if err := seedSwarm(ctx, api, *image, key); err != nil {
		fail("docker", err)
	}
	// S3 times have a one-second resolution: upload clearly after.
	time.Sleep(1100 * time.Millisecond)
	if err := seedFiles(ctx, c, *bucket, *props); err != nil {
		fail("S3", err)
	}
}
