package swarm

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/model"
)

// ImageHistoryAPI is the part of the engine API image histories read.
type ImageHistoryAPI interface {
	ImageInspect(context.Context, string, ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImageHistory(context.Context, string, ...client.ImageHistoryOption) (client.ImageHistoryResult, error)
}

// imageLoads is how many images are read at once: a swarm runs tens of
// images, each two small calls.
const imageLoads = 4

// ImageHistories implements model.ImageHistoryLoader for the engine c is
// connected to. Its errors name c's endpoint when the engine stopped
// answering.
func (c *Client) ImageHistories(ctx context.Context, images []string) ([]model.ImageHistory, error) {
	out, err := LoadImageHistories(ctx, c.api, images)
	if client.IsErrConnectionFailed(err) {
		return nil, &ConnectError{Endpoint: c.endpoint, Err: err}
	}
	return out, err
}

var _ model.ImageHistoryLoader = (*Client)(nil)

// LoadImageHistories reads the history of each image the engine holds, in
// the order of images. An image it does not hold (only other nodes run it,
// or it was removed) comes back with Held false; it is never pulled. The
// history is read by the ID the inspection found, so that it is the
// history of that very image even if its tag moves meanwhile.
func LoadImageHistories(ctx context.Context, api ImageHistoryAPI, images []string) ([]model.ImageHistory, error) {
	out := make([]model.ImageHistory, len(images))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(imageLoads)
	for i, ref := range images {
		g.Go(func() error {
			out[i].Image = ref
			img, err := api.ImageInspect(ctx, ref)
			switch {
			case cerrdefs.IsNotFound(err):
				return nil
			case err != nil:
				return fmt.Errorf("inspect image %s: %w", model.Printable(ref), classify(err))
			}
			hist, err := api.ImageHistory(ctx, img.ID)
			switch {
			case cerrdefs.IsNotFound(err): // removed between the two calls
				return nil
			case err != nil:
				return fmt.Errorf("read the history of image %s: %w", model.Printable(ref), classify(err))
			}
			out[i].Held, out[i].ID = true, img.ID
			out[i].Layers = make([]model.ImageLayer, len(hist.Items))
			for j, h := range hist.Items {
				out[i].Layers[j] = model.ImageLayer{ID: model.Printable(h.ID), CreatedBy: model.NewValueString(h.CreatedBy)}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
