// Command seed fills the rig for bench/drift.sh and bench/scale.sh: N secrets and M services
// (internal/seed), and one property file per service in an S3 bucket, whose
// keys match what the services mount. It first removes what a run with the
// same prefix made, files included (-cleanup does only that).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
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
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	if err := seed.Cleanup(ctx, api, o.Prefix); err != nil {
		return err
	}
	// The files of a larger run before would stay in the bucket, and be read.
	if err := removeFiles(ctx, c, bucket, o.Prefix); err != nil || cleanup {
		return err
	}
	start := time.Now()
	if err := seed.Seed(ctx, api, o); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench seed: %d secrets, %d services (%d running) in %s\n", o.Secrets, o.Services, o.Running, time.Since(start).Round(time.Millisecond))

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

// removeFiles removes the objects of bucket whose keys start with prefix
// (what an earlier run wrote); a bucket that does not exist has none.
func removeFiles(ctx context.Context, c *s3.Client, bucket, prefix string) error {
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var missing *types.NoSuchBucket
		if errors.As(err, &missing) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: del}); err != nil {
			return err
		}
	}
	return nil
}
