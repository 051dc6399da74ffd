package swarm

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/roots"
	"github.com/secretdeck/secretdeck/model"
)

// DefaultHost is the engine's socket when nothing else is configured.
const DefaultHost = "unix:///var/run/docker.sock"

// connectTimeout bounds the first ping when the caller gives no deadline, so
// that an unreachable engine fails in seconds, not minutes.
const connectTimeout = 10 * time.Second

// ConnectOptions say which engine to use, as the docker CLI's flags do.
type ConnectOptions struct {
	Host      string              // --host
	Context   string              // --context
	ConfigDir string              // default: $DOCKER_CONFIG or ~/.docker
	Getenv    func(string) string // nil: os.Getenv (tests inject)
	// ReadOnly makes every mutating call fail with ErrReadOnly (--read-only).
	ReadOnly bool
	// InsecureTransport allows writes over plain tcp:// without TLS
	// (--insecure-transport): refused otherwise, since a secret's value
	// would cross the network in clear.
	InsecureTransport bool
}

// Client is a connection to one Docker engine.
type Client struct {
	api      *client.Client
	raw      *http.Client // over api's dialer, for the lists read as they arrive (rawlist.go)
	endpoint model.Endpoint
	readOnly bool
	// unencrypted: tcp:// without TLS; writes over it are refused unless
	// allowed (--insecure-transport).
	unencrypted, allowUnencrypted bool
}

// Unencrypted reports whether the connection is tcp:// without TLS.
func (c *Client) Unencrypted() bool { return c.unencrypted }

// Endpoint says where the client is connected, why there, and which API
// version was negotiated.
func (c *Client) Endpoint() model.Endpoint { return c.endpoint }

// API exposes the engine client to the rest of the adapter and to tests.
func (c *Client) API() *client.Client { return c.api }

// Close releases the connection.
func (c *Client) Close() error {
	if c.raw != nil {
		c.raw.CloseIdleConnections()
	}
	return c.api.Close()
}

// Connect resolves the endpoint like the docker CLI (--host, --context,
// DOCKER_HOST, DOCKER_CONTEXT, currentContext of config.json, the default
// socket), pings it, and negotiates the API version with it. An unreachable
// engine is a *ConnectError; without a deadline in ctx the ping gives up
// after 10 seconds.
//
// DOCKER_API_VERSION is ignored on purpose: a pinned version newer than the
// engine's fails every call, and an older one silently drops fields
// secretdeck reasons about; negotiation picks the highest version both sides
// speak.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	target, err := resolve(o, getenv)
	if err != nil {
		return nil, err
	}
	opts, err := target.clientOpts()
	if err != nil {
		return nil, &ConnectError{Endpoint: target.shown, Err: err}
	}
	if target.dial.TLSData != nil {
		roots.Ensure() // a CA the context does not name is checked against the host's roots, or the bundled ones
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, &ConnectError{Endpoint: target.shown, Err: err}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if _, err := api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = api.Close()
		return nil, &ConnectError{Endpoint: target.shown, Err: err}
	}
	ep := target.shown
	ep.APIVersion = api.ClientVersion()
	return &Client{api: api, raw: newRawHTTP(api), endpoint: ep, readOnly: o.ReadOnly,
		unencrypted: strings.HasPrefix(ep.Host, "tcp://") && target.dial.TLSData == nil, allowUnencrypted: o.InsecureTransport}, nil
}
