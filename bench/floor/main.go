// Command floor makes the fewest engine API calls that can answer
// `secretdeck inspect secret NAME` — who mounts the secret and the other
// versions of its logical secret, which of their tasks ran with it, on
// which nodes — and does nothing else: the secrets by a name filter and by
// the logical-secret label (a version's name need not start with its
// logical secret's), every service and every node, all at once; then the
// tasks of the services that mount it. It is the floor bench/scale.sh
// compares with.
//
// With -bucket, it is the floor of `secretdeck drift`: the lists drift
// needs of the engine (info, nodes, secrets, configs, services, tasks) and,
// at the same time, the bucket's listing and one signed GET of every object
// in it, 64 at a time, the bytes read and dropped.
//
//	go run ./bench/floor -host unix:///path/docker.sock -secret NAME
//	go run ./bench/floor -host unix:///path/docker.sock -bucket B -s3-endpoint URL
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

func main() {
	host := flag.String("host", "", "Docker endpoint (required)")
	name := flag.String("secret", "", "secret to ask about (required)")
	bucket := flag.String("bucket", "", "drift's floor: read every object of this bucket as well")
	endpoint := flag.String("s3-endpoint", "", "the S3 endpoint of -bucket")
	flag.Parse()
	if *bucket != "" {
		n, err := driftFloor(context.Background(), *host, *endpoint, *bucket)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		fmt.Println(n, "objects read")
		return
	}
	tasks, err := run(context.Background(), *host, *name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Println(tasks, "tasks")
}

func run(ctx context.Context, host, name string) (int, error) {
	api, err := client.New(client.WithHost(host))
	if err != nil {
		return 0, err
	}
	defer api.Close()
	var secrets client.SecretListResult
	var services client.ServiceListResult
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		secrets, err = api.SecretList(gctx, client.SecretListOptions{Filters: make(client.Filters).Add("name", name)})
		return err
	})
	g.Go(func() (err error) {
		services, err = api.ServiceList(gctx, client.ServiceListOptions{})
		return err
	})
	g.Go(func() error {
		_, err := api.SecretList(gctx, client.SecretListOptions{Filters: make(client.Filters).Add("label", "secretdeck.logical="+name)})
		return err
	})
	g.Go(func() error {
		_, err := api.NodeList(gctx, client.NodeListOptions{})
		return err
	})
	if err := g.Wait(); err != nil {
		return 0, err
	}
	id := ""
	for _, s := range secrets.Items {
		if s.Spec.Name == name {
			id = s.ID
		}
	}
	if id == "" {
		return 0, fmt.Errorf("no secret named %s", name)
	}
	users := make(client.Filters)
	for _, svc := range services.Items {
		if svc.Spec.TaskTemplate.ContainerSpec == nil {
			continue
		}
		for _, ref := range svc.Spec.TaskTemplate.ContainerSpec.Secrets {
			if ref.SecretID == id {
				users.Add("service", svc.ID)
			}
		}
		if p := svc.PreviousSpec; p != nil && p.TaskTemplate.ContainerSpec != nil {
			for _, ref := range p.TaskTemplate.ContainerSpec.Secrets {
				if ref.SecretID == id {
					users.Add("service", svc.ID)
				}
			}
		}
	}
	if len(users) == 0 {
		return 0, nil
	}
	res, err := api.TaskList(ctx, client.TaskListOptions{Filters: users})
	return len(res.Items), err
}
