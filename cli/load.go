package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/azkv"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
)

// world is what secretdeck knows at one moment: the swarm, and the property
// source's files of one environment (nil when no --source is given).
type world struct {
	swarm  *model.SwarmSnapshot
	source *model.SourceSnapshot
	// images: the histories of the images the services run (nil: not
	// read; only drift and report look for credentials in them).
	images []model.ImageHistory
}

// loadWorld reads the swarm and the property source concurrently: the two
// round trips are independent, so the wait is the slower of the two.
func loadWorld(ctx context.Context, opts *globalOptions) (*world, error) {
	return loadWorldImages(ctx, opts, false)
}

// loadWorldWithImages is loadWorld that also reads, from the same engine,
// the history of every image the services run (with a source only: the
// history is compared with its values).
func loadWorldWithImages(ctx context.Context, opts *globalOptions) (*world, error) {
	return loadWorldImages(ctx, opts, opts.source != "")
}

func loadWorldImages(ctx context.Context, opts *globalOptions, images bool) (*world, error) {
	var w world
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		start := time.Now()
		c, err := opts.connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		w.swarm, err = c.Snapshot(ctx)
		if err != nil {
			return err
		}
		opts.logger().Debug("swarm loaded", "endpoint", w.swarm.Endpoint.Host,
			"secrets", len(w.swarm.Secrets), "services", len(w.swarm.Services), "took", time.Since(start))
		if images {
			w.images, err = c.ImageHistories(ctx, w.swarm.ServiceImages())
		}
		return err
	})
	if opts.source != "" {
		g.Go(func() error {
			start := time.Now()
			src, err := opts.openSource(ctx)
			if err != nil {
				return err
			}
			w.source, err = opts.loadSource(ctx, src, opts.env)
			if err == nil {
				opts.logger().Debug("source loaded", "uri", w.source.URI, "env", w.source.Env,
					"files", len(w.source.Files), "took", time.Since(start))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &w, nil
}

func (o *globalOptions) logger() *slog.Logger {
	if o.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.log
}

// openSource opens the property source with the global flags; its scheme
// picks the kind: s3://bucket/prefix, azkv://vault[/prefix], or a folder
// (a path, or file://).
func (o *globalOptions) openSource(ctx context.Context) (s3.Source, error) {
	if u, err := url.Parse(o.source); err == nil && u.Scheme == azkv.Scheme {
		return azkv.Open(azkv.Options{URI: o.source, ReadOnly: o.readOnly, ErrReadOnly: s3.ErrReadOnly})
	} else if err == nil && len(u.Scheme) > 1 && u.Scheme != "s3" && u.Scheme != "file" { // C:\ is a folder
		return nil, fmt.Errorf("--source %q: unknown scheme %s:// (give s3://bucket/prefix, azkv://vault[/prefix], or a folder)", o.source, u.Scheme)
	}
	return s3.Open(ctx, s3.Options{URI: o.source, Endpoint: o.s3Endpoint, ReadOnly: o.readOnly})
}
