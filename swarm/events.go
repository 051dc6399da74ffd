package swarm

import (
	"context"

	"github.com/moby/moby/client"
)

// Watch sends nil on every change to the swarm objects secretdeck shows
// (secrets, services, configs, nodes) and an error when the stream breaks;
// it closes the channel when ctx ends or after an error.
func (c *Client) Watch(ctx context.Context) <-chan error {
	out := make(chan error, 1)
	f := client.Filters{}.Add("type", "secret", "service", "config", "node")
	res := c.api.Events(ctx, client.EventsListOptions{Filters: f})
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-res.Messages:
				if !ok {
					return
				}
				select {
				case out <- nil:
				default: // a change is already pending: the reload will see this one too
				}
			case err := <-res.Err:
				if err != nil && ctx.Err() == nil {
					out <- &ConnectError{Endpoint: c.endpoint, Err: err}
				}
				return
			}
		}
	}()
	return out
}
