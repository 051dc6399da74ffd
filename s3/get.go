package s3

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// getter reads an object with one signed GET of its own, for the source's
// many small reads: the SDK's GetObject builds its middleware stack anew
// for every call, and over 1,000 property files that was a quarter of
// drift's CPU. It signs with the SDK's SigV4 signer and the SDK's
// credentials, at the URL the SDK's own endpoint rules give for the
// bucket, and retries as the SDK's standard retryer does. Where those rules
// ask for anything but plain SigV4 (S3 Express, multi-region access
// points), or the credentials are anonymous, newGetter returns nil and
// reads go through GetObject.
type getter struct {
	http    aws.HTTPClient
	creds   aws.CredentialsProvider
	signer  *v4.Signer
	base    url.URL // the bucket's endpoint; an object's path is appended
	name    string  // signing name, "s3"
	region  string  // signing region
	retries int     // attempts in all, the SDK's default 3
	backoff func(attempt int) time.Duration
}

// emptySHA256 is the hex SHA-256 of an empty body, a GET's payload hash.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func newGetter(ctx context.Context, client *s3.Client, httpClient aws.HTTPClient, bucket string) *getter {
	o := client.Options()
	if o.Credentials == nil || httpClient == nil {
		return nil
	}
	if _, anonymous := o.Credentials.(aws.AnonymousCredentials); anonymous {
		return nil
	}
	params := s3.EndpointParameters{
		Bucket:                         aws.String(bucket),
		Region:                         aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
	}
	resolver := o.EndpointResolverV2
	if resolver == nil {
		resolver = s3.NewDefaultEndpointResolverV2()
	}
	ep, err := resolver.ResolveEndpoint(ctx, params)
	if err != nil {
		return nil // GetObject will say why
	}
	g := &getter{http: httpClient, creds: o.Credentials, base: ep.URI, name: "s3", region: o.Region, retries: 3, backoff: sdkBackoff}
	if opts, ok := smithyauth.GetAuthOptions(&ep.Properties); ok && len(opts) > 0 {
		if id := opts[0].SchemeID; id != "sigv4" && id != "aws.auth#sigv4" {
			return nil
		}
		if name, ok := smithyhttp.GetSigV4SigningName(&opts[0].SignerProperties); ok {
			g.name = name
		}
		if region, ok := smithyhttp.GetSigV4SigningRegion(&opts[0].SignerProperties); ok {
			g.region = region
		}
	}
	if o.RetryMaxAttempts > 0 {
		g.retries = o.RetryMaxAttempts
	}
	// S3 signs the path as it is sent: escaped once, never twice.
	g.signer = v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })
	return g
}

// objectURL is the URL of key: the bucket's endpoint, then the key escaped
// as the SDK escapes it for S3 (every byte but the unreserved ones and '/').
func (g *getter) objectURL(key string) *url.URL {
	u := g.base
	u.Path = strings.TrimSuffix(g.base.Path, "/") + "/" + key
	u.RawPath = strings.TrimSuffix(g.base.EscapedPath(), "/") + "/" + httpbinding.EscapePath(key, false)
	return &u
}

// got is what a GET returned of an object.
type got struct {
	data            []byte
	etag, versionID string
}

// get reads key (at most limit bytes and one more, so that the caller sees
// it grew past the limit), retrying what the SDK retries.
func (g *getter) get(ctx context.Context, key string, limit int64) (got, error) {
	for attempt := 1; ; attempt++ {
		res, retry, err := g.once(ctx, key, limit)
		if err == nil || !retry || attempt >= g.retries {
			return res, err
		}
		wait := g.backoff(attempt)
		select {
		case <-ctx.Done():
			return got{}, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// sdkBackoff is the SDK's standard retryer's: a random part of 2^attempt
// seconds, at most 20 s.
func sdkBackoff(attempt int) time.Duration {
	return min(time.Duration(float64(time.Second<<attempt)*rand.Float64()), 20*time.Second)
}

func (g *getter) once(ctx context.Context, key string, limit int64) (res got, retry bool, err error) {
	creds, err := g.creds.Retrieve(ctx)
	if err != nil {
		return got{}, false, fmt.Errorf("failed to retrieve credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.objectURL(key).String(), nil)
	if err != nil {
		return got{}, false, err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	// The stored bytes, as GetObject reads them: Go's transport would
	// otherwise ask for gzip and undo an object stored gzip-encoded.
	req.Header.Set("Accept-Encoding", "identity")
	if err := g.signer.SignHTTP(ctx, creds, req, emptySHA256, g.name, g.region, time.Now().UTC()); err != nil {
		return got{}, false, err
	}
	resp, err := g.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return got{}, false, ctx.Err()
		}
		return got{}, true, err // the connection: as the SDK, try again
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		apiErr := errorOf(resp)
		// Drain what is left, so the connection is kept for the next read.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return got{}, retryable(resp.StatusCode, apiErr.Code), apiErr
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return got{}, false, err
	}
	return got{
		data:      data,
		etag:      strings.Trim(resp.Header.Get("ETag"), `"`),
		versionID: resp.Header.Get("X-Amz-Version-Id"),
	}, false, nil
}

// errorOf reads S3's error document (at most 64 KiB of it) into the SDK's
// error type, so that explain says what the SDK's error would have made it
// say. Only the code is kept, and the message, which names no value.
func errorOf(resp *http.Response) *smithy.GenericAPIError {
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	_ = xml.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&doc)
	if doc.Code == "" {
		switch resp.StatusCode {
		case http.StatusNotFound:
			doc.Code = "NotFound"
		case http.StatusForbidden:
			doc.Code = "Forbidden"
		case http.StatusMovedPermanently:
			doc.Code = "PermanentRedirect"
		default:
			doc.Code = http.StatusText(resp.StatusCode)
		}
	}
	return &smithy.GenericAPIError{Code: doc.Code, Message: doc.Message}
}

// retryable: what the SDK's standard retryer retries (server errors and
// throttling).
func retryable(status int, code string) bool {
	switch code {
	case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "ServiceUnavailable":
		return true
	}
	return status == http.StatusInternalServerError || status == http.StatusBadGateway ||
		status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}
