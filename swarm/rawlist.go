package swarm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/model"
)

// secretStreamer is a SnapshotAPI that can also read the list of secrets
// as it arrives (decodeSecrets), instead of through moby's client, which
// decodes the whole answer into its own types first.
type secretStreamer interface {
	streamSecrets(ctx context.Context) ([]model.Secret, error)
}

// errNotStreamed: the streamed read got no list (the engine said no, or
// the connection failed); moby's client reads it again and says why, in
// the errors the rest of the adapter classifies.
var errNotStreamed = errors.New("the list of secrets was not streamed")

// streamingAPI is the engine's client with a second HTTP client over the
// same dialer (the socket, TLS or ssh:// connection of the context), for
// the lists read as they arrive.
type streamingAPI struct {
	*client.Client
	raw *http.Client
}

// newRawHTTP is an HTTP client that dials the engine as api does.
func newRawHTTP(api *client.Client) *http.Client {
	dial := api.Dialer()
	return &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     30 * time.Second,
	}}
}

func (a streamingAPI) streamSecrets(ctx context.Context) ([]model.Secret, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/v"+a.ClientVersion()+"/secrets", nil)
	if err != nil {
		return nil, errNotStreamed
	}
	resp, err := a.raw.Do(req)
	if err != nil {
		return nil, errNotStreamed
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, errNotStreamed
	}
	secrets, err := decodeSecrets(resp.Body)
	if err != nil && ctx.Err() != nil {
		return nil, errNotStreamed // cut short: moby's client says so as it does
	}
	return secrets, err
}
