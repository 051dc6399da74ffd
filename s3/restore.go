package s3

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// RestorePrevious puts back the version of property file key that came
// before version (the version a failed restart picked up): a copy of it
// becomes the newest version, so history is kept and nothing is deleted. It
// refuses when version is no longer the newest (someone changed the file
// again: theirs is not undone), in a read-only source, and in a folder,
// which keeps no versions. It returns the new version's ID.
func RestorePrevious(ctx context.Context, src Source, key, version string) (string, error) {
	s, ok := src.(*source)
	if !ok {
		return "", errors.New("this source cannot restore a file")
	}
	if s.opts.ReadOnly {
		return "", fmt.Errorf("restore %s: %w", key, ErrReadOnly)
	}
	b, ok := s.b.(*bucket)
	if !ok {
		return "", fmt.Errorf("restore %s: a folder keeps no versions; put the file back by hand", key)
	}
	return b.restorePrevious(ctx, key, version)
}

func (b *bucket) restorePrevious(ctx context.Context, key, version string) (string, error) {
	full := b.keyPrefix() + key
	res, err := b.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b.name, Prefix: &full})
	if err != nil {
		return "", b.explain(err)
	}
	var newest, newestETag, previous string
	for _, v := range res.Versions { // newest first, per key
		if v.Key == nil || *v.Key != full || v.VersionId == nil {
			continue
		}
		switch {
		case newest == "":
			newest = *v.VersionId
			if v.ETag != nil {
				newestETag = *v.ETag
			}
		case previous == "":
			previous = *v.VersionId
		}
	}
	switch {
	case newest == "":
		return "", fmt.Errorf("restore %s: the bucket keeps no version of it (is versioning on?)", key)
	case newest != version && newestETag != version:
		return "", fmt.Errorf("restore %s: it changed again since (now version %s): left as it is", key, newest)
	case previous == "":
		return "", fmt.Errorf("restore %s: it has no earlier version", key)
	}
	from := b.name + "/" + strings.ReplaceAll(url.PathEscape(full), "%2F", "/") + "?versionId=" + url.QueryEscape(previous)
	out, err := b.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b.name, Key: &full, CopySource: &from})
	if err != nil {
		return "", b.explain(err)
	}
	if out.VersionId == nil {
		return "", nil
	}
	return *out.VersionId, nil
}
