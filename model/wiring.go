package model

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// secretsDir is where Docker mounts a secret whose target is a bare name.
const secretsDir = "/run/secrets/"

// wiring reports env vars that point a service at the wrong thing: a
// NAME_FILE path under /run/secrets/ that no secret of the service is
// mounted at (the application reads nothing, or fails at start-up), and a
// property-file reference naming another environment's file (prod reading
// dev's values). Names only: a value is compared, never shown.
func (d *drifter) wiring() {
	for i := range d.in.Swarm.Services {
		svc := &d.in.Swarm.Services[i]
		for _, ev := range svc.Spec.Env {
			ref := ev.Value.Reveal()
			switch {
			case strings.HasSuffix(ev.Name, "_FILE") && strings.HasPrefix(ref, secretsDir):
				if !slices.ContainsFunc(svc.Spec.Secrets, func(r FileRef) bool { return secretsDir+r.Target == ref || r.Target == ref }) {
					// The path is an env value: like every env value, it is not shown.
					f := newFinding(KindWiring, fmt.Sprintf("env %s of service %s points at a file under %s where no secret of the service is mounted: the application finds no file there",
						ev.Name, svc.Name, secretsDir), ActionReport)
					f.Service, f.Key = svc.Name, ev.Name
					d.add(f)
				}
			default:
				if other := d.otherEnvFile(svc.Name, ref); other != "" {
					f := newFinding(KindWiring, fmt.Sprintf("env %s of service %s names the property file of environment %s, not %s: the service reads another environment's values",
						ev.Name, svc.Name, other, d.in.Source.Env), ActionReport)
					f.Service, f.Key = svc.Name, ev.Name
					d.add(f)
				}
			}
		}
	}
}

// otherEnvFile is the environment, other than the source's, whose property
// file of service ref names (svc.json.dev, dev/svc.json, s3://b/dev/svc.json);
// "" when ref names no such file.
func (d *drifter) otherEnvFile(service, ref string) string {
	if ref == "" || strings.ContainsAny(ref, " \n") {
		return ""
	}
	base := path.Base(ref)
	dir := path.Base(path.Dir(ref))
	parts := strings.Split(base, ".")
	isFormat := func(s string) bool { return slices.Contains(Formats, Format(s)) }
	switch {
	case len(parts) == 3 && parts[0] == service && isFormat(parts[1]): // svc.json.dev
		if env := parts[2]; env != d.in.Source.Env && slices.Contains(d.in.Source.Envs, env) {
			return env
		}
	case len(parts) == 2 && parts[0] == service && isFormat(parts[1]): // dev/svc.json
		if dir != d.in.Source.Env && slices.Contains(d.in.Source.Envs, dir) {
			return dir
		}
	}
	return ""
}
