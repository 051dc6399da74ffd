package testrig

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Client returns an S3 client for the rig's server with its root credentials.
func (s S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// NewBucket creates a versioned bucket with a unique name holding files (key →
// content), and removes it with every object version when the test ends.
func (s S3Server) NewBucket(t testing.TB, files map[string]string) string {
	t.Helper()
	ctx := context.Background()
	c := s.Client()
	bucket := UniqueName("sdtest-")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	t.Cleanup(func() { s.removeBucket(t, bucket) })
	_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		t.Fatalf("enable versioning: %v", err)
	}
	for key, body := range files {
		s.Put(t, bucket, key, body)
	}
	return bucket
}

// Put writes one object.
func (s S3Server) Put(t testing.TB, bucket, key, body string) {
	t.Helper()
	_, err := s.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// removeBucket deletes every object version and the bucket. A failure fails
// the test: test values would stay in the S3 server's storage.
func (s S3Server) removeBucket(t testing.TB, bucket string) {
	ctx := context.Background()
	c := s.Client()
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Errorf("cleanup of bucket %s: list: %v", bucket, err)
			return
		}
		for _, v := range page.Versions {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: v.Key, VersionId: v.VersionId}); err != nil {
				t.Errorf("cleanup of bucket %s: delete %s: %v", bucket, aws.ToString(v.Key), err)
			}
		}
		for _, m := range page.DeleteMarkers {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: m.Key, VersionId: m.VersionId}); err != nil {
				t.Errorf("cleanup of bucket %s: delete marker %s: %v", bucket, aws.ToString(m.Key), err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		t.Errorf("cleanup of bucket %s: %v", bucket, err)
	}
}
