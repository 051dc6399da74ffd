package s3

import (
	"context"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// BenchmarkRead reads the objects of the bucket bench/scale.sh seeds, with
// the source's own GET and with the SDK's GetObject, one after the other:
// their CPU per read, side by side (-benchmem, -cpuprofile).
func BenchmarkRead(b *testing.B) {
	srv := testrig.S3(b)
	b.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	b.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	b.Setenv("AWS_REGION", srv.Region)
	ctx := context.Background()
	bk, err := newBucket(ctx, Options{Endpoint: srv.Endpoint, Concurrency: 1}, "secretdeck-scale", "")
	if err != nil {
		b.Fatal(err)
	}
	objects, err := bk.list(ctx)
	if err != nil || len(objects) == 0 {
		b.Skipf("no objects in secretdeck-scale (run bench/scale.sh --keep): %v", err)
	}
	if bk.get == nil {
		b.Fatal("no getter: reads would go through GetObject")
	}
	get := bk.get
	for _, mode := range []string{"own", "sdk"} {
		b.Run(mode, func(b *testing.B) {
			bk.get = nil
			if mode == "own" {
				bk.get = get
			}
			i := 0
			for b.Loop() {
				if _, err := bk.read(ctx, &objects[i%len(objects)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
