package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/secretdeck/secretdeck/model"
)

func newBucketClient(ctx context.Context, endpoint string) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}), nil
}

// seedKey creates the versioned bucket and its fingerprint key, as a first
// secretdeck apply would have, and returns the key.
func seedKey(ctx context.Context, c *s3.Client, bucket string) (model.FingerprintKey, error) {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return model.FingerprintKey{}, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("enable versioning on %s: %w", bucket, err)
	}
	key := model.FingerprintKeyPath
	if res, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key}); err == nil {
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return model.FingerprintKey{}, err
		}
		return model.NewFingerprintKey(b)
	}
	b := make([]byte, model.FingerprintKeySize)
	if _, err := rand.Read(b); err != nil {
		return model.FingerprintKey{}, err
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(b), IfNoneMatch: aws.String("*")})
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("put %s: %w", key, err)
	}
	return model.NewFingerprintKey(b)
}

// seedFiles uploads every file under props, keeping its relative path as the
// key (dev/redis.env, redis.env.prod); a file already there is left alone.
func seedFiles(ctx context.Context, c *s3.Client, bucket, props string) error {
	return filepath.WalkDir(props, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		key, err := filepath.Rel(props, path)
		if err != nil {
			return err
		}
		key = filepath.ToSlash(key)
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}); err == nil &&
			aws.ToInt64(head.ContentLength) == int64(len(body)) {
			return nil
		}
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		fmt.Printf("seed: s3://%s/%s\n", bucket, key)
		return nil
	})
}
