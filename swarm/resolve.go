package swarm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	dopts "github.com/docker/cli/opts"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/model"
)

// target is a resolved endpoint: what secretdeck shows, and what it dials
// (host, TLS material) in the docker CLI's own type, so that ssh://, TLS and
// sockets are set up by the CLI's code rather than ours.
type target struct {
	shown   model.Endpoint
	dial    docker.Endpoint
	headers map[string]string // HTTPHeaders of config.json, sent as the CLI sends them
}

// resolve picks the endpoint in the docker CLI's order: --host, --context,
// DOCKER_HOST, DOCKER_CONTEXT, currentContext of config.json, the default.
func resolve(o ConnectOptions, getenv func(string) string) (target, error) {
	if o.Host != "" && o.Context != "" {
		return target{}, errors.New("--host and --context cannot be used together: pick one")
	}
	dir := configDir(o, getenv)
	cf, err := config.Load(dir)
	if err != nil {
		return target{}, fmt.Errorf("cannot read the docker CLI's configuration: %w — fix or move it, or set DOCKER_CONFIG", err)
	}
	t, err := pick(o, dir, cf.CurrentContext, getenv)
	t.headers = cf.HTTPHeaders
	return t, err
}

func pick(o ConnectOptions, dir, current string, getenv func(string) string) (target, error) {
	switch {
	case o.Host != "":
		return hostTarget(o.Host, "--host", dir, getenv)
	case o.Context != "":
		return contextTarget(o.Context, "--context", dir, getenv)
	case getenv("DOCKER_HOST") != "":
		return hostTarget(getenv("DOCKER_HOST"), "DOCKER_HOST", dir, getenv)
	case getenv("DOCKER_CONTEXT") != "":
		return contextTarget(getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT", dir, getenv)
	case current != "":
		return contextTarget(current, "config", dir, getenv)
	}
	return hostTarget("", "default", dir, getenv)
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

// hostTarget is a host given by flag or environment (or none: the default
// socket), with TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH as
// the docker CLI reads them.
func hostTarget(host, source, dir string, getenv func(string) string) (target, error) {
	tlsData, useTLS, err := envTLS(dir, getenv)
	shown := model.Endpoint{Host: host, Context: "default", Source: source}
	if err != nil {
		return target{shown: shown}, err
	}
	// Normalized like the CLI: "" is the default socket, "tcp://h" gets its port.
	if shown.Host, err = dopts.ParseHost(useTLS, host); err != nil {
		return target{shown: shown}, fmt.Errorf("%s: %w", source, err)
	}
	return target{shown: shown, dial: docker.Endpoint{
		EndpointMeta: docker.EndpointMeta{Host: shown.Host, SkipTLSVerify: useTLS && getenv("DOCKER_TLS_VERIFY") == ""},
		TLSData:      tlsData,
	}}, nil
}

// envTLS reads the TLS material the environment asks for. As in the docker
// CLI, DOCKER_TLS_VERIFY turns TLS on with verification, DOCKER_TLS without,
// and DOCKER_CERT_PATH (default: the config dir) holds ca.pem, cert.pem and
// key.pem; a missing file is left out (verification then uses the system's
// roots).
func envTLS(dir string, getenv func(string) string) (*dcontext.TLSData, bool, error) {
	if getenv("DOCKER_TLS_VERIFY") == "" && getenv("DOCKER_TLS") == "" {
		return nil, false, nil
	}
	certPath := getenv("DOCKER_CERT_PATH")
	if certPath == "" {
		certPath = dir
	}
	files := make([]string, 3)
	for i, name := range []string{"ca.pem", "cert.pem", "key.pem"} {
		if p := filepath.Join(certPath, name); fileExists(p) {
			files[i] = p
		}
	}
	data, err := dcontext.TLSDataFromFiles(files[0], files[1], files[2])
	if err != nil {
		return nil, true, fmt.Errorf("TLS material in %s: %w", certPath, err)
	}
	if data == nil {
		data = &dcontext.TLSData{} // TLS on, with the system's roots and no client certificate
	}
	return data, true, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// contextTarget reads a docker context, with its TLS material, from the
// docker CLI's context store.
func contextTarget(name, source, dir string, getenv func(string) string) (target, error) {
	if name == "default" { // the built-in context: DOCKER_HOST or the default socket
		return hostTarget(getenv("DOCKER_HOST"), source, dir, getenv)
	}
	shown := model.Endpoint{Context: name, Source: source}
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }))
	s := store.New(filepath.Join(dir, "contexts"), cfg)
	meta, err := s.GetMetadata(name)
	var notFound interface{ NotFound() }
	switch {
	case errors.As(err, &notFound):
		return target{shown: shown}, fmt.Errorf("docker context %q (from %s) does not exist in %s: list them with `docker context ls`", name, source, dir)
	case err != nil:
		return target{shown: shown}, fmt.Errorf("docker context %q (from %s) cannot be read: %s", name, source, oneLine(err.Error()))
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err == nil && epMeta.Host == "" {
		err = errors.New("it names no Docker host")
	}
	if err != nil {
		return target{shown: shown}, fmt.Errorf("docker context %q (from %s): %w", name, source, err)
	}
	shown.Host = epMeta.Host
	dial, err := docker.WithTLSData(s, name, epMeta)
	if err != nil {
		return target{shown: shown}, fmt.Errorf("docker context %q (from %s): TLS material: %w", name, source, err)
	}
	return target{shown: shown, dial: dial}, nil
}

// clientOpts turns the target into engine client options with the docker
// CLI's own code (connhelper for ssh://, TLS transport for tcp://).
func (t target) clientOpts() ([]client.Opt, error) {
	opts, err := t.dial.ClientOpts()
	if err != nil {
		return nil, err
	}
	// docker/cli v29 appends client.WithAPIVersionFromEnv last: drop it (see
	// Connect). TestConnectIgnoresDockerAPIVersion fails if that changes.
	opts = opts[:len(opts)-1]
	if len(t.headers) > 0 {
		opts = append(opts, client.WithHTTPHeaders(t.headers))
	}
	return append(opts, client.WithUserAgent("secretdeck")), nil
}
