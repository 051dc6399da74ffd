package swarm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"

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
}

// Client is a connection to one Docker engine.
type Client struct {
	api      *client.Client
	endpoint model.Endpoint
	readOnly bool
}

// Endpoint says where the client is connected and why.
func (c *Client) Endpoint() model.Endpoint { return c.endpoint }

// API exposes the engine client to the rest of the adapter and to tests.
func (c *Client) API() *client.Client { return c.api }

// Close releases the connection.
func (c *Client) Close() error { return c.api.Close() }

// Connect resolves the endpoint like the docker CLI (--host, --context,
// DOCKER_HOST, DOCKER_CONTEXT, currentContext of config.json, the default
// socket), pings it, and negotiates the API version with it.
//
// DOCKER_API_VERSION is NOT honoured: a pinned version newer than an old
// engine's fails every call, and an older one silently drops fields secretdeck
// needs; negotiation picks the highest version both sides speak.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	ep, opts, err := resolve(o, getenv)
	if err != nil {
		return nil, err
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, &ConnectError{Endpoint: ep, Err: err}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if _, err := api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = api.Close()
		return nil, &ConnectError{Endpoint: ep, Err: err}
	}
	ep.APIVersion = api.ClientVersion()
	return &Client{api: api, endpoint: ep, readOnly: o.ReadOnly}, nil
}

// resolve picks the endpoint and builds the client options for it.
func resolve(o ConnectOptions, getenv func(string) string) (model.Endpoint, []client.Opt, error) {
	if o.Host != "" && o.Context != "" {
		return model.Endpoint{}, nil, errors.New("--host and --context cannot be used together: pick one")
	}
	switch {
	case o.Host != "":
		return hostEndpoint(o.Host, "default", "--host", getenv)
	case o.Context != "":
		return contextEndpoint(o, o.Context, "--context", getenv)
	case getenv("DOCKER_HOST") != "":
		return hostEndpoint(getenv("DOCKER_HOST"), "default", "DOCKER_HOST", getenv)
	case getenv("DOCKER_CONTEXT") != "":
		return contextEndpoint(o, getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT", getenv)
	}
	dir := configDir(o, getenv)
	if cf, err := config.Load(dir); err == nil && cf.CurrentContext != "" && cf.CurrentContext != "default" {
		return contextEndpoint(o, cf.CurrentContext, "config", getenv)
	}
	return hostEndpoint(DefaultHost, "default", "default", getenv)
}

func configDir(o ConnectOptions, getenv func(string) string) string {
	if o.ConfigDir != "" {
		return o.ConfigDir
	}
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return config.Dir()
}

// hostEndpoint connects to a host given by flag or environment, with TLS from
// DOCKER_CERT_PATH / DOCKER_TLS_VERIFY as the docker CLI does.
func hostEndpoint(host, ctxName, source string, getenv func(string) string) (model.Endpoint, []client.Opt, error) {
	ep := model.Endpoint{Host: host, Context: ctxName, Source: source}
	helper, err := connhelper.GetConnectionHelper(host)
	if err != nil {
		return ep, nil, &ConnectError{Endpoint: ep, Err: err}
	}
	if helper != nil { // ssh://: `docker system dial-stdio` on the remote host
		return ep, sshOpts(helper), nil
	}
	opts := []client.Opt{client.WithHost(host)}
	if getenv("DOCKER_CERT_PATH") != "" {
		// Reads DOCKER_CERT_PATH and DOCKER_TLS_VERIFY as the docker CLI does.
		opts = append(opts, client.WithTLSClientConfigFromEnv())
	}
	return ep, opts, nil
}

func sshOpts(h *connhelper.ConnectionHelper) []client.Opt {
	return []client.Opt{
		client.WithHost(h.Host),
		client.WithDialContext(h.Dialer),
	}
}

// contextEndpoint reads a docker context from the CLI's context store.
func contextEndpoint(o ConnectOptions, name, source string, getenv func(string) string) (model.Endpoint, []client.Opt, error) {
	if name == "default" {
		host := getenv("DOCKER_HOST")
		if host == "" {
			host = DefaultHost
		}
		return hostEndpoint(host, "default", source, getenv)
	}
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }))
	s := store.New(filepath.Join(configDir(o, getenv), "contexts"), cfg)
	meta, err := s.GetMetadata(name)
	if err != nil {
		return model.Endpoint{Context: name, Source: source}, nil,
			fmt.Errorf("docker context %q (from %s) cannot be read: %w — list them with `docker context ls`", name, source, err)
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil {
		return model.Endpoint{Context: name, Source: source}, nil, fmt.Errorf("docker context %q: %w", name, err)
	}
	ep := model.Endpoint{Host: epMeta.Host, Context: name, Source: source}
	full, err := docker.WithTLSData(s, name, epMeta)
	if err != nil {
		return ep, nil, fmt.Errorf("docker context %q: TLS material: %w", name, err)
	}
	opts, err := full.ClientOpts()
	if err != nil {
		return ep, nil, &ConnectError{Endpoint: ep, Err: err}
	}
	return ep, withoutAPIVersionFromEnv(opts), nil
}

// withoutAPIVersionFromEnv drops the option docker.Endpoint.ClientOpts
// appends last (client.WithAPIVersionFromEnv): see Connect for why.
func withoutAPIVersionFromEnv(opts []client.Opt) []client.Opt {
	if len(opts) == 0 {
		return opts
	}
	return opts[:len(opts)-1]
}
