package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/model"
)

// The demo's secrets. Some were made by a previous secretdeck apply (managed:
// labelled with a fingerprint of the value they were made from), others by
// hand as in Docker's rotation example; some match the property files and some
// do not, so that drift has something to find.
var demoSecrets = []struct {
	name, value string
	managed     string // logical name when secretdeck made it
	version     int
}{
	{"my_service_aws_access_key_id_v1", "AKIADEMOPROD00000001", "my_service_aws_access_key_id", 1},
	{"my_service_aws_secret_access_key_v1", "demo/prod/aws+secret+key/OLD-2025-01", "my_service_aws_secret_access_key", 1}, // stale
	{"my_service_db.password_v1", "demo-Pr0d-db-pass-v1", "", 0},                                                           // unused old version
	{"my_service_db.password_v2", "demo-Pr0d-db-pass-v2", "", 0},
	{"my_secret_data", "demo redis secret data (prod)", "", 0},
	{"payment_key_v1", "demo-payment-key-2026-a", "", 0}, // half-rotated: billing still
	{"payment_key_v2", "demo-payment-key-2026-b", "", 0}, // mounts v1, checkout v2
	{"shop_web_session.secret_v1", "demo-shop-session-prod", "shop_web_session.secret", 1},
	{"legacy_token", "demo-legacy-token", "", 0}, // declared nowhere, mounted by nobody
}

type mount struct {
	secret, target string
	uid, gid       string
	mode           uint32
}

var demoServices = []struct {
	name   string
	stack  string
	env    []string
	mounts []mount
	// configs are mounted like secrets ("secret" naming the config).
	configs []mount
}{
	{name: "my_service", env: []string{"MY_BUCKET_NAME=secretdeck-demo", "MY_PROPS_FILE=my_service.json.prod", "AWS_REGION=us-east-1"},
		mounts: []mount{
			{"my_service_aws_access_key_id_v1", "aws_access_key_id", "1000", "1000", 0o400},
			{"my_service_aws_secret_access_key_v1", "aws_secret_access_key", "1000", "1000", 0o400},
			{"my_service_db.password_v2", "db.password", "1000", "1000", 0o400},
		}},
	// Credentials in plain env vars: anyone who can `docker service inspect`
	// reads them. The source already holds a new password: the demo's plan
	// moves STATS_PASS into the secret dfp_stats_pass (secretdeck.yaml says
	// the proxy follows Docker Flow Proxy's convention).
	{name: "proxy", env: []string{"STATS_USER=admin", "STATS_PASS=demo-stats-pass-old"},
		configs: []mount{{"proxy_conf", "/etc/haproxy/haproxy.cfg", "0", "0", 0o444}}},
	{name: "redis", mounts: []mount{{"my_secret_data", "my_secret_data", "0", "0", 0o444}}},
	{name: "billing", mounts: []mount{{"payment_key_v1", "payment_key", "0", "0", 0o440}}},
	{name: "checkout", mounts: []mount{{"payment_key_v2", "payment_key", "0", "0", 0o440}}},
	{name: "shop_web", stack: "shop", mounts: []mount{{"shop_web_session.secret_v1", "session.secret", "33", "33", 0o400}}},
}

func seedSwarm(ctx context.Context, api *client.Client, image string, key model.FingerprintKey) error {
	ids := map[string]string{}
	existing, err := api.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		return err
	}
	for _, s := range existing.Items {
		ids[s.Spec.Name] = s.ID
	}
	for _, s := range demoSecrets {
		if ids[s.name] != "" {
			continue
		}
		labels := map[string]string{"demo": "secretdeck"}
		if s.managed != "" {
			labels[model.LabelLogical] = s.managed
			labels[model.LabelVersion] = strconv.Itoa(s.version)
			labels[model.LabelFingerprint] = string(key.Fingerprint(s.managed, model.NewValueString(s.value)))
			labels[model.LabelEnv] = "prod"
			labels[model.LabelCreatedBy] = "demo@seed"
		}
		res, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
			Annotations: swarm.Annotations{Name: s.name, Labels: labels},
			Data:        []byte(s.value),
		}})
		if err != nil {
			return fmt.Errorf("create secret %s: %w", s.name, err)
		}
		ids[s.name] = res.ID
		fmt.Printf("seed: secret %s\n", s.name)
	}
	if err := seedConfig(ctx, api, ids); err != nil {
		return err
	}
	services, err := api.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, s := range services.Items {
		have[s.Spec.Name] = true
	}
	for _, svc := range demoServices {
		if have[svc.name] {
			continue
		}
		spec := serviceSpec(svc.name, svc.stack, image, svc.env, svc.mounts, ids)
		for _, m := range svc.configs {
			spec.TaskTemplate.ContainerSpec.Configs = append(spec.TaskTemplate.ContainerSpec.Configs, &swarm.ConfigReference{
				ConfigID: ids["config:"+m.secret], ConfigName: m.secret,
				File: &swarm.ConfigReferenceFileTarget{Name: m.target, UID: m.uid, GID: m.gid, Mode: os.FileMode(m.mode)},
			})
		}
		if _, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec}); err != nil {
			return fmt.Errorf("create service %s: %w", svc.name, err)
		}
		fmt.Printf("seed: service %s\n", svc.name)
	}
	return nil
}

func serviceSpec(name, stack, image string, env []string, mounts []mount, ids map[string]string) swarm.ServiceSpec {
	replicas := uint64(1)
	labels := map[string]string{"demo": "secretdeck"}
	if stack != "" {
		labels["com.docker.stack.namespace"] = stack
	}
	refs := make([]*swarm.SecretReference, 0, len(mounts))
	for _, m := range mounts {
		refs = append(refs, &swarm.SecretReference{
			SecretID: ids[m.secret], SecretName: m.secret,
			File: &swarm.SecretReferenceFileTarget{Name: m.target, UID: m.uid, GID: m.gid, Mode: os.FileMode(m.mode)},
		})
	}
	grace := time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
			Image:           image,
			Env:             append([]string{"ECHOAPP_INTERVAL=60s"}, env...),
			Secrets:         refs,
			StopGracePeriod: &grace,
		}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, FailureAction: "rollback", Monitor: 5 * time.Second, Order: "stop-first"},
	}
}

// seedConfig makes the proxy's config (once), its ID in ids["config:proxy_conf"]:
// configs/prod/proxy/haproxy.cfg in the bucket differs from it, so drift
// shows a config-stale with its diff.
func seedConfig(ctx context.Context, api *client.Client, ids map[string]string) error {
	configs, err := api.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		return err
	}
	for _, c := range configs.Items {
		if c.Spec.Name == "proxy_conf" {
			ids["config:proxy_conf"] = c.ID
			return nil
		}
	}
	res, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: "proxy_conf", Labels: map[string]string{"demo": "secretdeck"}},
		Data:        []byte("frontend stats\n  bind :8404\n  stats enable\n"),
	}})
	if err != nil {
		return err
	}
	ids["config:proxy_conf"] = res.ID
	fmt.Printf("seed: config proxy_conf\n")
	return nil
}
