// Command seed fills the rig for bench/drift.sh and bench/scale.sh: N secrets and M services
// (internal/seed), and one property file per service in an S3 bucket, whose
// keys match what the services mount.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/internal/seed"
)

func main() {
	var (
		host     = flag.String("host", "", "Docker endpoint (required)")
		endpoint = flag.String("s3-endpoint", "", "S3 endpoint (required)")
		bucket   = flag.String("bucket", "secretdeck-bench", "bucket for the property files")
		prefix   = flag.String("prefix", "bench_", "name prefix of everything seeded")
		secrets  = flag.Int("secrets", 1000, "secrets to create")
		services = flag.Int("services", 300, "services to create (one property file each)")
		running  = flag.Int("running", 0, "services with one running replica (the first ones); the others have 0")
		image    = flag.String("image", "secretdeck-test/echo:1", "image of the services")
		cleanup  = flag.Bool("cleanup", false, "remove what a previous run seeded, and stop")
	)
	flag.Parse()
	o := seed.Options{Prefix: *prefix, Secrets: *secrets, Services: *services, Running: *running, Image: *image}
	if err := run(*host, *endpoint, *bucket, o, *cleanup); err != nil {
		fmt.Fprintln(os.Stderr, "bench seed:", err)
		os.Exit(1)
	}
}

func run(host, endpoint, bucket string, o seed.Options, cleanup bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	api, err := client.New(client.WithHost(host))
	if err != nil {
		return err
	}
	defer api.Close()
	if err := seed.Cleanup(ctx, api, o.Prefix); err != nil || cleanup {
		return err
	}
	start := time.Now()
	if err := seed.Seed(ctx, api, o); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench seed: %d secrets, %d services (%d running) in %s\n", o.Secrets, o.Services, o.Running, time.Since(start).Round(time.Millisecond))

	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil && !strings.Contains(err.Error(), "BucketAlready") {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range o.Services {
		g.Go(func() error {
			var body strings.Builder
			for j := range 5 {
				fmt.Fprintf(&body, "key_%d = bench value %d-%d\n", j, i, j)
			}
			key := seed.ServiceName(o.Prefix, i) + ".properties.prod"
			_, err := c.PutObject(gctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body.String())})
			return err
		})
	}
	return g.Wait()
}
