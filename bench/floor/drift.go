package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

// driftFloor asks the engine and the bucket what drift needs, and no more.
func driftFloor(ctx context.Context, host, endpoint, bucket string) (int, error) {
	api, err := client.New(client.WithHost(host))
	if err != nil {
		return 0, err
	}
	defer api.Close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { _, err := api.Info(ctx, client.InfoOptions{}); return err })
	g.Go(func() error { _, err := api.NodeList(ctx, client.NodeListOptions{}); return err })
	g.Go(func() error { _, err := api.SecretList(ctx, client.SecretListOptions{}); return err })
	g.Go(func() error { _, err := api.ConfigList(ctx, client.ConfigListOptions{}); return err })
	g.Go(func() error { _, err := api.ServiceList(ctx, client.ServiceListOptions{}); return err })
	g.Go(func() error { _, err := api.TaskList(ctx, client.TaskListOptions{}); return err })
	var read atomic.Int64
	g.Go(func() error {
		n, err := readBucket(ctx, endpoint, bucket)
		read.Store(int64(n))
		return err
	})
	err = g.Wait()
	return int(read.Load()), err
}

// readBucket lists bucket and GETs each object with a plain signed
// request, on a kept-alive connection per parallel read.
func readBucket(ctx context.Context, endpoint, bucket string) (int, error) {
	creds := aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	s3c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })),
	})
	var keys []string
	p := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	const parallel = 64
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	var next atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	for range parallel {
		g.Go(func() error {
			for i := int(next.Add(1) - 1); i < len(keys); i = int(next.Add(1) - 1) {
				u := strings.TrimSuffix(endpoint, "/") + "/" + bucket + "/" + httpbinding.EscapePath(keys[i], false)
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				if err != nil {
					return err
				}
				req.Header.Set("X-Amz-Content-Sha256", empty)
				if err := signer.SignHTTP(ctx, creds, req, empty, "s3", "us-east-1", time.Now()); err != nil {
					return err
				}
				res, err := httpc.Do(req)
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err == nil && res.StatusCode != http.StatusOK {
					err = fmt.Errorf("GET %s: %s", keys[i], res.Status)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	return len(keys), g.Wait()
}
