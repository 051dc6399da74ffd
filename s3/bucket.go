package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/secretdeck/secretdeck/internal/roots"
)

// Sentinel errors of S3 sources; returned errors wrap them.
var (
	ErrBucketNotFound = errors.New("bucket not found")
	ErrAccessDenied   = errors.New("access denied")
	ErrUnreachable    = errors.New("S3 endpoint unreachable")
	ErrNoCredentials  = errors.New("no AWS credentials")
)

type bucket struct {
	client   *s3.Client
	get      *getter // reads; nil: through client.GetObject (s3/get.go)
	name     string
	prefix   string // "" or "dir/sub" without slashes at the ends
	endpoint string // for error messages; "" for AWS
	pageSize int32
}

// newBucket configures an S3 client: the default AWS chain (env, profile,
// SSO, IMDS), unless the swarm mounted credentials at SecretsDir.
func newBucket(ctx context.Context, opts Options, name, prefix string) (*bucket, error) {
	var loadOpts []func(*config.LoadOptions) error
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if id, secret, ok := secretsDirCredentials(opts.SecretsDir); ok {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")))
	}
	// Keep a connection per parallel read: past the SDK's 10 idle per host,
	// each read beyond them would dial (and, on AWS, shake hands) anew.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, opts.Concurrency)
	})
	loadOpts = append(loadOpts, config.WithHTTPClient(httpClient))
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if !strings.HasPrefix(endpoint, "http://") || !aws.IsCredentialsProvider(cfg.Credentials, credentials.StaticCredentialsProvider{}) {
		// A host without a certificate store (the scratch image) gets the
		// bundled roots for whatever speaks TLS: the endpoint, or the
		// service the credentials come from (STS, SSO). Over plain http
		// with keys given, nothing does, and loading the host's roots was
		// 20 ms of CPU before the first list.
		roots.Ensure()
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A read is not checked against the object's stored checksum
		// unless S3 requires it: TLS already guards the bytes, and the
		// check's middleware was a tenth of drift's CPU over 1,000 reads.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true // S3-compatible servers rarely do virtual hosts
		}
	})
	return &bucket{client: client, get: newGetter(ctx, client, httpClient, name), name: name, prefix: prefix, endpoint: endpoint, pageSize: opts.pageSize}, nil
}

// secretsDirCredentials reads the in-swarm bootstrap credentials, trimmed.
func secretsDirCredentials(dir string) (id, secret string, ok bool) {
	if dir == "" {
		dir = "/run/secrets"
	}
	idb, err1 := os.ReadFile(filepath.Join(dir, "aws_access_key_id"))
	sb, err2 := os.ReadFile(filepath.Join(dir, "aws_secret_access_key"))
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	id, secret = strings.TrimSpace(string(idb)), strings.TrimSpace(string(sb))
	return id, secret, id != "" && secret != ""
}

func (b *bucket) uri() string {
	if b.prefix == "" {
		return "s3://" + b.name
	}
	return "s3://" + b.name + "/" + b.prefix
}

func (b *bucket) keyPrefix() string {
	if b.prefix == "" {
		return ""
	}
	return b.prefix + "/"
}

// list pages through ListObjectsV2 under the prefix.
func (b *bucket) list(ctx context.Context) ([]object, error) {
	in := &s3.ListObjectsV2Input{Bucket: &b.name, Prefix: aws.String(b.keyPrefix())}
	if b.pageSize > 0 {
		in.MaxKeys = aws.Int32(b.pageSize)
	}
	var out []object
	p := s3.NewListObjectsV2Paginator(b.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, b.explain(err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), b.keyPrefix())
			if key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			out = append(out, object{
				key: key, etag: strings.Trim(aws.ToString(o.ETag), `"`),
				lastModified: aws.ToTime(o.LastModified), size: aws.ToInt64(o.Size),
			})
		}
	}
	return out, nil
}

func (b *bucket) read(ctx context.Context, o *object) ([]byte, error) {
	if b.get != nil {
		res, err := b.get.get(ctx, b.keyPrefix()+o.key, MaxFileSize)
		if sdkRecovers(err) {
			return b.readSDK(ctx, o)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s/%s: %w", b.uri(), o.key, b.explain(err))
		}
		if res.etag != "" {
			o.etag = res.etag // of the bytes read, which may be newer than the listing
		}
		o.versionID = res.versionID
		if o.versionID == "null" { // versioning never enabled
			o.versionID = ""
		}
		return res.data, nil
	}
	return b.readSDK(ctx, o)
}

// sdkRecovers says whether the SDK's GetObject may read what the source's
// own GET could not: it corrects this machine's clock by S3's when S3 says
// they are too far apart.
func sdkRecovers(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "RequestTimeTooSkewed"
}

// readSDK reads o with the SDK's GetObject.
func (b *bucket) readSDK(ctx context.Context, o *object) ([]byte, error) {
	res, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: aws.String(b.keyPrefix() + o.key)})
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", b.uri(), o.key, b.explain(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", b.uri(), o.key, err)
	}
	if etag := strings.Trim(aws.ToString(res.ETag), `"`); etag != "" {
		o.etag = etag // of the bytes read, which may be newer than the listing
	}
	o.versionID = aws.ToString(res.VersionId)
	if o.versionID == "null" { // versioning never enabled
		o.versionID = ""
	}
	return data, nil
}

// explain turns an SDK error into one line that says what to fix.
func (b *bucket) explain(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return tagged(ErrBucketNotFound, "bucket %q does not exist (%s): check --source", b.name, b.uri())
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "Forbidden":
			return tagged(ErrAccessDenied, "S3 refused the credentials for %s (%s): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or /run/secrets/aws_*",
				b.uri(), api.ErrorCode())
		}
		return fmt.Errorf("S3 error on %s: %s", b.uri(), api.ErrorCode())
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found"):
		return tagged(ErrNoCredentials, "no AWS credentials for %s: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or mount /run/secrets/aws_access_key_id and aws_secret_access_key", b.uri())
	case strings.Contains(msg, "connect:") || strings.Contains(msg, "no such host") || strings.Contains(msg, "dial tcp"):
		where := b.endpoint
		if where == "" {
			where = "AWS S3"
		}
		return tagged(ErrUnreachable, "cannot reach the S3 endpoint %s for %s: %v", where, b.uri(), lastCause(err))
	}
	return err
}

// lastCause is the innermost error, short enough for one line.
func lastCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// taggedError is a message that says what to fix, matching a sentinel for
// errors.Is without repeating the sentinel's words.
type taggedError struct {
	msg      string
	sentinel error
}

func (e *taggedError) Error() string { return e.msg }
func (e *taggedError) Unwrap() error { return e.sentinel }

func tagged(sentinel error, format string, args ...any) error {
	return &taggedError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}
